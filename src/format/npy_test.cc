// .npy string arrays as numpy 1.24 writes them (np.save): fixed-width Unicode ('<U', '>U'),
// bytes ('|S'), and object arrays of str / bytes (pickled, protocols 2, 3 and 4). The
// bytes below were produced by numpy itself; each test says which array.
#include "format/npy.h"

#include <algorithm>
#include <complex>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"

namespace tfmodel {
namespace {

using testing::ExpectTensorEq;

// u_le
constexpr char k_u_le[] =
    "934e554d5059010076007b276465736372273a20273c5532272c2027666f727472616e5f6f72646572273a20"
    "46616c73652c20277368617065273a2028322c2032292c207d20202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020202020200a61000000"
    "0000000068000000e9000000e56500002c6700001ed1010078000000";
// u_be
constexpr char k_u_be[] =
    "934e554d5059010076007b276465736372273a20273e5532272c2027666f727472616e5f6f72646572273a20"
    "46616c73652c20277368617065273a2028322c292c207d202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020202020200a00000061"
    "00000062000000fc00000000";
// s
constexpr char k_s[] =
    "934e554d5059010076007b276465736372273a20277c5333272c2027666f727472616e5f6f72646572273a20"
    "46616c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020202020200a78000079"
    "7a00000000";
// obj3
constexpr char k_obj3[] =
    "934e554d5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046"
    "616c73652c20277368617065273a2028332c292c207d20202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020202020200a8003636e"
    "756d70792e636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a6e"
    "6461727261790a71014b008571024301627103877104527105284b014b03857106636e756d70790a64747970"
    "650a710758020000004f387108898887710952710a284b0358010000007c710b4e4e4e4affffffff4affffff"
    "ff4b3f74710c62895d710d28580300000068c3a9710e580100000062710f5800000000711065747111622e";
// objbytes
constexpr char k_objbytes[] =
    "934e554d5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046"
    "616c73652c20277368617065273a2028322c2031292c207d2020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020202020200a8003636e"
    "756d70792e636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a6e"
    "6461727261790a71014b008571024301627103877104527105284b014b024b01867106636e756d70790a6474"
    "7970650a710758020000004f387108898887710952710a284b0358010000007c710b4e4e4e4affffffff4aff"
    "ffffff4b3f74710c62895d710d28430178710e4302797a710f65747110622e";
// objint
constexpr char k_objint[] =
    "934e554d5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046"
    "616c73652c20277368617065273a2028322c292c207d20202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020202020200a8003636e"
    "756d70792e636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a6e"
    "6461727261790a71014b008571024301627103877104527105284b014b02857106636e756d70790a64747970"
    "650a710758020000004f387108898887710952710a284b0358010000007c710b4e4e4e4affffffff4affffff"
    "ff4b3f74710c62895d710d284b01580100000061710e6574710f622e";
// obj2
constexpr char k_obj2[] =
    "934e554d5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046"
    "616c73652c20277368617065273a2028322c292c207d20202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020202020200a8002636e"
    "756d70792e636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a6e"
    "6461727261790a71014b00857102635f636f646563730a656e636f64650a7103580100000062710458060000"
    "006c6174696e317105867106527107877108527109284b014b0285710a636e756d70790a64747970650a710b"
    "58020000004f38710c898887710d52710e284b0358010000007c710f4e4e4e4affffffff4affffffff4b3f74"
    "711062895d711128580300000068c3a97112580100000062711365747114622e";
// obj4
constexpr char k_obj4[] =
    "934e554d5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046"
    "616c73652c20277368617065273a2028322c292c207d20202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020202020200a80049593"
    "000000000000008c156e756d70792e636f72652e6d756c74696172726179948c0c5f7265636f6e7374727563"
    "749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b02859468"
    "038c0564747970659493948c024f3894898887945294284b038c017c944e4e4e4affffffff4affffffff4b3f"
    "749462895d94288c0368c3a9948c016294657494622e";
// evil
constexpr char k_evil[] =
    "934e554d5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046"
    "616c73652c20277368617065273a2028322c292c207d20202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020202020200a80036370"
    "6f7369780a73797374656d0a710058040000007472756571018571025271032e";

std::string Bytes(const char* hex) { return absl::HexStringToBytes(hex); }

Tensor Strings(std::vector<std::string> v, TensorShape shape) {
  return Tensor::FromVector<std::string>(v, shape);
}

TEST(NpyStrings, FixedWidthUnicodeBecomesUtf8) {
  // np.array([["a", "hé"], ["日本", "𝄞x"]])  -> dtype '<U2'
  auto t = ParseNpy(Bytes(k_u_le), "u.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectTensorEq(*t, Strings({"a", "h\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9d\x84\x9ex"},
                             TensorShape{2, 2}));
  // np.array(["ab", "ü"], dtype='>U2'): big-endian UTF-32
  t = ParseNpy(Bytes(k_u_be), "ube.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectTensorEq(*t, Strings({"ab", "\xc3\xbc"}, TensorShape{2}));
}

TEST(NpyStrings, BytesArrayDropsTrailingNuls) {
  // np.array([b"x", b"yz\x00", b""], dtype='S3')
  auto t = ParseNpy(Bytes(k_s), "s.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectTensorEq(*t, Strings({"x", "yz", ""}, TensorShape{3}));
}

TEST(NpyStrings, ObjectArraysOfStrAndBytes) {
  // np.save(np.array(["hé", "b", ""], dtype=object)): pickle protocol 3
  auto t = ParseNpy(Bytes(k_obj3), "o3.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectTensorEq(*t, Strings({"h\xc3\xa9", "b", ""}, TensorShape{3}));
  // the same header with pickle.dumps(np.array(["hé", "b"], dtype=object), protocol=2 / 4)
  for (const char* hex : {k_obj2, k_obj4}) {
    t = ParseNpy(Bytes(hex), "o.npy");
    ASSERT_TRUE(t.ok()) << t.status();
    ExpectTensorEq(*t, Strings({"h\xc3\xa9", "b"}, TensorShape{2}));
  }
  // np.array([[b"x"], [b"yz"]], dtype=object): 2-D, bytes items
  t = ParseNpy(Bytes(k_objbytes), "ob.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectTensorEq(*t, Strings({"x", "yz"}, TensorShape{2, 1}));
}

TEST(NpyStrings, OtherObjectArraysAreRefusedWithoutRunningThePickle) {
  // np.array([1, "a"], dtype=object)
  auto t = ParseNpy(Bytes(k_objint), "oi.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("item 0 is neither str nor bytes"), std::string::npos)
      << t.status();
  EXPECT_NE(t.status().message().find("dtype='U' or 'S'"), std::string::npos);
  // A pickle whose __reduce__ names os.system: refused at the global, never called.
  t = ParseNpy(Bytes(k_evil), "evil.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("refers to 'posix.system'"), std::string::npos) << t.status();
  // Every truncation of a valid file is an error, never a crash.
  std::string full = Bytes(k_obj3);
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(ParseNpy(full.substr(0, n), "cut.npy").ok()) << n;
  }
  // Corrupting any single byte of the pickle gives a value or an error, never a crash.
  for (size_t i = 128; i < full.size(); ++i) {
    std::string bad = full;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    (void)ParseNpy(bad, "flip.npy");
  }
}

TEST(NpyStrings, SelfContainingPickleListIsAnErrorAndFreed) {
  // Found by npy_fuzz (tests/fuzz_seeds/npy_fuzz/pickle_list_cycle): a list appended to
  // itself through the memo (EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP) made a
  // shared_ptr cycle that leaked. Now an error like any other non-ndarray pickle, and
  // everything the reader made is freed (the ASan build checks for leaks).
  std::string header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }";
  header.resize(117, ' ');
  header += '\n';
  std::string file = std::string("\x93NUMPY\x01\x00", 8) + std::string(1, '\x76') +
                     std::string(1, '\0') + header + std::string("\x80\x02]q\x00h\x00a.", 9);
  auto t = ParseNpy(file, "cycle.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("cycle.npy"), std::string::npos) << t.status();
}

TEST(NpyStrings, BadUnicodeAndWidthsAreErrors) {
  std::string u = Bytes(k_u_be);
  // Make the first code unit 0x00110000 (beyond Unicode).
  size_t body = u.size() - 16;
  u[body + 1] = 0x11;
  auto t = ParseNpy(u, "bad.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("not a Unicode code point"), std::string::npos) << t.status();
  std::string wide = Bytes(k_u_be);
  wide.replace(wide.find(">U2"), 3, ">U9");
  t = ParseNpy(wide, "wide.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("needs 2 items of 36 bytes"), std::string::npos)
      << t.status();
}

TEST(NpyStrings, WritesStringsAsBytes) {
  auto enc = EncodeNpy(Strings({"h\xc3\xa9", "b"}, TensorShape{2}));
  ASSERT_TRUE(enc.ok());
  EXPECT_NE(enc->find("'descr': '|S3'"), std::string::npos);
  auto back = ParseNpy(*enc, "w.npy");
  ASSERT_TRUE(back.ok());
  ExpectTensorEq(*back, Strings({"h\xc3\xa9", "b"}, TensorShape{2}));
}

TEST(NpyStrings, ZeroWidthStringsCannotAskForHugeCounts) {
  for (const char* descr : {"|S0", "<U0"}) {
    std::string header = std::string("{'descr': '") + descr +
                         "', 'fortran_order': False, 'shape': (1099511627776,), }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string data("\x93NUMPY\x01\x00", 8);
    data += static_cast<char>(header.size());
    data += '\0';
    data += header;
    auto t = ParseNpy(data, "zero.npy");
    ASSERT_FALSE(t.ok()) << descr;
    EXPECT_THAT(std::string(t.status().message()), ::testing::HasSubstr("zero.npy"));
  }
}

// A version 1.0 .npy file with `header_dict` and `body`, padded as numpy pads.
std::string NpyFile(const std::string& header_dict, const std::string& body) {
  std::string header = header_dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + body;
}

template <typename T>
std::string Bytes(const std::vector<T>& v, bool big_endian) {
  std::string out;
  for (const T& x : v) {
    std::string b(reinterpret_cast<const char*>(&x), sizeof(T));
    if (big_endian) std::reverse(b.begin(), b.end());
    out += b;
  }
  return out;
}

TEST(NpyLayout, FortranOrderBecomesCOrder) {
  // np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)) stores the columns:
  // 0 3 1 4 2 5.
  auto t = ParseNpy(NpyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                            Bytes<float>({0, 3, 1, 4, 2, 5}, false)),
                    "f.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectTensorEq(*t, Tensor::FromVector<float>({0, 1, 2, 3, 4, 5}, TensorShape{2, 3}));
  // Rank 3, shape (2, 2, 3): element (i, j, k) = 100i + 10j + k stored i fastest, then j.
  std::vector<int32_t> stored, want;
  for (int k = 0; k < 3; ++k) {
    for (int j = 0; j < 2; ++j) {
      for (int i = 0; i < 2; ++i) stored.push_back(100 * i + 10 * j + k);
    }
  }
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      for (int k = 0; k < 3; ++k) want.push_back(100 * i + 10 * j + k);
    }
  }
  t = ParseNpy(NpyFile("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 2, 3), }",
                       Bytes<int32_t>(stored, false)),
               "f3.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectTensorEq(*t, Tensor::FromVector<int32_t>(want, TensorShape{2, 2, 3}));
  // Fixed-width strings too: [['a', 'b'], ['c', 'd']] stored a c b d.
  t = ParseNpy(NpyFile("{'descr': '|S1', 'fortran_order': True, 'shape': (2, 2), }", "acbd"),
               "s.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->data<std::string>()[1], "b");
  EXPECT_EQ(t->data<std::string>()[2], "c");
  // An empty Fortran array and a bad flag.
  t = ParseNpy(NpyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 3), }", ""), "e");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->NumElements(), 0);
  t = ParseNpy(NpyFile("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "abcd"), "b");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), ::testing::HasSubstr("fortran_order"));
}

TEST(NpyLayout, BigEndianNumbersAreSwapped) {
  auto f = ParseNpy(NpyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }",
                            Bytes<float>({1.5f, -2.0f, 1e-3f}, true)),
                    "be.npy");
  ASSERT_TRUE(f.ok()) << f.status();
  ExpectTensorEq(*f, Tensor::FromVector<float>({1.5f, -2.0f, 1e-3f}));
  auto i = ParseNpy(NpyFile("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }",
                            Bytes<int16_t>({258, -3}, true)),
                    "be.npy");
  ASSERT_TRUE(i.ok()) << i.status();
  ExpectTensorEq(*i, Tensor::FromVector<int16_t>({258, -3}));
  // Complex: each part swapped on its own; and big-endian Fortran order together.
  auto c = ParseNpy(NpyFile("{'descr': '>c8', 'fortran_order': False, 'shape': (1,), }",
                            Bytes<float>({2.5f, -1.0f}, true)),
                    "c.npy");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data<std::complex<float>>()[0], std::complex<float>(2.5f, -1.0f));
  auto d = ParseNpy(NpyFile("{'descr': '>f8', 'fortran_order': True, 'shape': (2, 2), }",
                            Bytes<double>({1, 3, 2, 4}, true)),
                    "d.npy");
  ASSERT_TRUE(d.ok()) << d.status();
  ExpectTensorEq(*d, Tensor::FromVector<double>({1, 2, 3, 4}, TensorShape{2, 2}));
}

}  // namespace
}  // namespace tfmodel
