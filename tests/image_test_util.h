// Encoding test images with libjpeg, for image-decoding unit and conformance tests.
#ifndef TFMODEL_TESTS_IMAGE_TEST_UTIL_H_
#define TFMODEL_TESTS_IMAGE_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tfmodel::testing {

// A baseline JPEG of `pixels` (h x w x components bytes, row-major); components 1 = gray,
// 3 = RGB, 4 = CMYK (written with libjpeg's Adobe marker).
std::string EncodeJpeg(const std::vector<uint8_t>& pixels, int h, int w, int components,
                       int quality = 90);

}  // namespace tfmodel::testing

#endif  // TFMODEL_TESTS_IMAGE_TEST_UTIL_H_
