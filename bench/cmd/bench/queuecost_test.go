//go:build linux

package main

import "testing"

func TestCountConns(t *testing.T) {
	// Two established sockets to port 7233 (0x1C41), one of them not this
	// process's; one listening on 7233; one established from 7233.
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:D431 0100007F:1C41 01 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 20 4 30 10 -1
   1: 0100007F:D432 0100007F:1C41 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1C41 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 100 0 0 10 0
   3: 0100007F:1C41 0100007F:D433 01 00000000:00000000 00:00000000 00000000  1000        0 444 1 0000000000000000 20 4 30 10 -1
`
	mine := map[string]bool{"111": true, "333": true, "444": true}
	if n := countConns([]byte(table), 7233, true, mine); n != 1 {
		t.Errorf("to port 7233: %d, want 1", n)
	}
	if n := countConns([]byte(table), 7233, false, mine); n != 1 {
		t.Errorf("on port 7233: %d, want 1 (the listener is not established)", n)
	}
}

func TestParseSizes(t *testing.T) {
	if got, err := parseSizes("1, 10,50"); err != nil || len(got) != 3 || got[2] != 50 {
		t.Errorf("parseSizes = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "1,x"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
}
