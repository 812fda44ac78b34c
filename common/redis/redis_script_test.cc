// Unit tests for the SHA-1 used for EVALSHA (FIPS 180 test vectors) and RedisValue rendering.
#include "common/redis/redis_script.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/redis/redis_value.h"

namespace fib {
namespace {

TEST_CASE("Sha1Hex matches the FIPS 180 test vectors") {
  CHECK(Sha1Hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(Sha1Hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(Sha1Hex(std::string(1000000, 'a')) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("RedisScript carries the digest Redis will know it by") {
  RedisScript script("return 1");
  CHECK(script.sha1() == Sha1Hex("return 1"));
  CHECK(script.source() == "return 1");
}

TEST_CASE("RedisValue renders like redis-cli") {
  RedisValue array;
  array.type = RedisValue::Type::kArray;
  RedisValue one;
  one.type = RedisValue::Type::kInteger;
  one.integer = 1;
  RedisValue text;
  text.type = RedisValue::Type::kString;
  text.str = "job";
  array.elements = {one, text, RedisValue()};
  CHECK(array.DebugString() == "[(integer) 1, \"job\", (nil)]");
}

}  // namespace
}  // namespace fib
