# Issue 20: GTP-U and GRE/PPP captures (tunnel-captures/) against tshark.
dnswatch_test(tunnel_capture_test tunnel_capture_test.cc)
