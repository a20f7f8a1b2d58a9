// Encoding of a Record as a Cap'n Proto payload (schemas/record.capnp) and of a
// payload as a frame (journal/format.h). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pa_journal/record.h"

namespace pa_journal {

// The Cap'n Proto flat-array encoding of record; its size is a multiple of 8.
std::string encode_payload(const Record& record);

// Decodes a payload. Throws CorruptedDataError if the bytes are not a valid
// message of the schema (the caller adds file and offset). Never reads beyond
// payload and never allocates more than a small multiple of its size.
Record decode_payload(std::string_view payload);

// Appends one frame (header + payload) to out.
void append_frame(std::string* out, uint8_t type, std::string_view payload);

// Appends the frame of record's payload (encode_payload(record)) to out,
// encoding it in place, and returns the payload's size.
size_t append_record_frame(std::string* out, uint8_t type, const Record& record);

// XXH3-64 (seed 0) of data.
uint64_t checksum(std::string_view data);

// Little-endian fixed-width integers.
void put_u32(char* dst, uint32_t v);
void put_u64(char* dst, uint64_t v);
uint32_t get_u32(const char* src);
uint64_t get_u64(const char* src);

// The segment header for a segment whose first record is first_seq.
std::string encode_segment_header(uint64_t first_seq);

}  // namespace pa_journal
