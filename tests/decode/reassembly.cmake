# Issue 3, transport layer: IP fragment and TCP stream reassembly, tunnels,
# and the end-to-end test against a real NSD in a network namespace.
dnswatch_test(tcp_reassembly_test tcp_reassembly_test.cc)
dnswatch_test(ip_reassembly_test ip_reassembly_test.cc)
dnswatch_test(tunnel_test tunnel_test.cc)
dnswatch_test(nsd_e2e_test nsd_e2e_test.cc)
dnswatch_test(reassembly_no_alloc_test reassembly_no_alloc_test.cc)
