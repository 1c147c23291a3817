package queues

// WaitStopped waits until the queues that stopped on their own (idle) have
// finished stopping: their polls in flight may take up to the worker's
// bound to end after ShutdownWorker.
func WaitStopped(s *Set) { s.stopped.Wait() }
