-- RFC 8482 section 4.2 in dnsdist 1.7 (Debian 12): answer QTYPE=ANY with one
-- synthesised HINFO "RFC8482" "" at the question name, as dnsdist 1.8 and
-- later do with SpoofRawAction("\007RFC8482\000", {typeForAny=DNSQType.HINFO})
-- (1.7's SpoofRawAction gives the record the type ANY). The query is turned
-- into its own answer: QR and AA set, the question kept, one HINFO record
-- pointing at it, no authority, no OPT.
local ffi = require("ffi")
ffi.cdef[[
typedef struct dnsdist_ffi_dnsquestion_t dnsdist_ffi_dnsquestion_t;
void* dnsdist_ffi_dnsquestion_get_header(const dnsdist_ffi_dnsquestion_t* dq);
bool dnsdist_ffi_dnsquestion_set_size(dnsdist_ffi_dnsquestion_t* dq, size_t len);
]]
function rfc8482(dq)
  local p = ffi.cast("uint8_t*", ffi.C.dnsdist_ffi_dnsquestion_get_header(dq))
  local at = 12
  while p[at] ~= 0 do at = at + 1 + p[at] end
  at = at + 5  -- the root label, QTYPE, QCLASS
  local rr = {0xC0, 0x0C, 0, 13, 0, 1, 0, 0, 0x0E, 0x10, 0, 9, 7, 82, 70, 67, 56, 52, 56, 50, 0}
  if not ffi.C.dnsdist_ffi_dnsquestion_set_size(dq, at + #rr) then return DNSAction.None end
  p = ffi.cast("uint8_t*", ffi.C.dnsdist_ffi_dnsquestion_get_header(dq))
  for i = 1, #rr do p[at + i - 1] = rr[i] end
  p[2] = bit.bor(p[2], 0x84)             -- QR, AA (RD as asked)
  p[3] = 0                               -- NOERROR, no RA
  p[6], p[7] = 0, 1                      -- one answer
  p[8], p[9], p[10], p[11] = 0, 0, 0, 0  -- no authority, no additional
  return DNSAction.HeaderModify
end
