dnswatch_test(no_alloc_test no_alloc_test.cc)
