dnswatch_test(transport_test transport_test.cc)
