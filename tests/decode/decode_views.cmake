dnswatch_test(rr_views_test rr_views_test.cc)
dnswatch_test(edns_test edns_test.cc)
