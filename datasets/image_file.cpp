#include "datasets/image_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

// jpeglib.h needs FILE and size_t declared before it.
#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "datasets/idx.h"
#include "framework/files.h"

namespace gradlab {

namespace {

// A decoded file before conversion: 8-bit RGBA, interleaved, not premultiplied.
struct Rgba {
  ImageInfo info;
  std::vector<std::uint8_t> pixels;  // height × width × 4
};

void check_size(const std::string& name, const std::string& format, std::size_t height,
                std::size_t width) {
  if (height == 0 || width == 0)
    throw DataError(name + ": " + format + " of " + std::to_string(width) + "x" +
                    std::to_string(height) + " pixels is empty");
  if (height * width > kMaxImagePixels)
    throw DataError(name + ": " + format + " of " + std::to_string(width) + "x" +
                    std::to_string(height) + " pixels is larger than the " +
                    std::to_string(kMaxImagePixels) + " pixels gradlab reads");
}

// --- PGM ------------------------------------------------------------------------------------

// Header: magic, width, height, maxval, separated by whitespace and '#' comments; then one
// whitespace byte and the pixels (P5: one byte each, two big-endian bytes when maxval > 255) or
// decimal numbers (P2).
struct PgmHeader {
  bool binary = true;
  std::size_t width = 0, height = 0, at = 0;
  long maxval = 255;
};

long pgm_number(const std::string& name, const std::string& bytes, std::size_t& at) {
  while (at < bytes.size()) {
    if (bytes[at] == '#') {
      while (at < bytes.size() && bytes[at] != '\n') ++at;
    } else if (std::isspace(static_cast<unsigned char>(bytes[at]))) {
      ++at;
    } else {
      break;
    }
  }
  const std::size_t begin = at;
  while (at < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[at]))) ++at;
  if (begin == at) throw DataError(name + ": malformed PGM header");
  // Nine digits fit a long and exceed every size or value a PGM may hold.
  if (at - begin > 9)
    throw DataError(name + ": PGM number " + bytes.substr(begin, 12) + "... is too large");
  return std::stol(bytes.substr(begin, at - begin));
}

PgmHeader read_pgm_header(const std::string& bytes, const std::string& name) {
  PgmHeader header;
  header.binary = bytes[1] == '5';
  header.at = 2;
  const long width = pgm_number(name, bytes, header.at),
             height = pgm_number(name, bytes, header.at);
  header.maxval = pgm_number(name, bytes, header.at);
  if (width <= 0 || height <= 0 || std::size_t(width) * std::size_t(height) > kMaxImagePixels)
    throw DataError(name + ": implausible PGM size " + std::to_string(width) + "x" +
                    std::to_string(height));
  if (header.maxval <= 0 || header.maxval > 65535)
    throw DataError(name + ": PGM maxval " + std::to_string(header.maxval) +
                    " is outside 1..65535");
  header.width = static_cast<std::size_t>(width);
  header.height = static_cast<std::size_t>(height);
  return header;
}

Rgba decode_pgm(const std::string& bytes, const std::string& name) {
  const PgmHeader header = read_pgm_header(bytes, name);
  std::size_t at = header.at;
  const std::size_t count = header.height * header.width,
                    sample_bytes = header.maxval > 255 ? 2 : 1;
  // Each pixel takes at least sample_bytes of the file (P5) or two (P2: a digit and a space):
  // the header's size is checked against the file's before allocating it.
  if (header.binary) ++at;  // the single whitespace byte after maxval
  const std::size_t remaining = bytes.size() - std::min(at, bytes.size());
  if (remaining < (header.binary ? sample_bytes * count : 2 * count - 1))
    throw DataError(name + ": truncated: the PGM header promises " + std::to_string(count) +
                    " pixels");
  Rgba image{{"PGM", "grey", sample_bytes == 2 ? 16 : 8, header.height, header.width},
             std::vector<std::uint8_t>(4 * count)};
  const long maxval = header.maxval;
  for (std::size_t i = 0; i < count; ++i) {
    long value;
    if (!header.binary) {
      value = pgm_number(name, bytes, at);
    } else if (sample_bytes == 2) {
      value = static_cast<unsigned char>(bytes[at + 2 * i]) * 256 +
              static_cast<unsigned char>(bytes[at + 2 * i + 1]);
    } else {
      value = static_cast<unsigned char>(bytes[at + i]);
    }
    if (value > maxval) throw DataError(name + ": pixel " + std::to_string(i) + " exceeds maxval");
    const auto grey = static_cast<std::uint8_t>((value * 255 + maxval / 2) / maxval);
    std::uint8_t* p = &image.pixels[4 * i];
    p[0] = p[1] = p[2] = grey;
    p[3] = 255;
  }
  return image;
}

// --- PNG ------------------------------------------------------------------------------------
// libpng reports errors by longjmp: the two functions that call setjmp hold no C++ objects of
// their own, and every buffer they fill is allocated before they are called.

void png_on_error(png_structp png, png_const_charp message);
void png_on_warning(png_structp, png_const_charp) {}

// libpng's read and info structs over bytes in memory; libpng's callbacks find it by its address.
struct PngReader {
  const std::string* bytes = nullptr;
  std::size_t at = 0;
  std::string error;  // set before libpng jumps back
  png_structp png = nullptr;
  png_infop info = nullptr;

  explicit PngReader(const std::string& input) : bytes(&input) {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, this, png_on_error, png_on_warning);
    if (png) info = png_create_info_struct(png);
    if (!info) {
      png_destroy_read_struct(&png, &info, nullptr);
      throw std::bad_alloc();
    }
  }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;
  ~PngReader() { png_destroy_read_struct(&png, &info, nullptr); }
};

void png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
  if (reader->bytes->size() - reader->at < length) png_error(png, "truncated file");
  std::memcpy(out, reader->bytes->data() + reader->at, length);
  reader->at += length;
}

void png_on_error(png_structp png, png_const_charp message) {
  static_cast<PngReader*>(png_get_error_ptr(png))->error = message;
  png_longjmp(png, 1);
}

const char* png_mode(int color_type) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
      return "grey";
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      return "grey+alpha";
    case PNG_COLOR_TYPE_RGB:
      return "RGB";
    case PNG_COLOR_TYPE_RGB_ALPHA:
      return "RGBA";
    case PNG_COLOR_TYPE_PALETTE:
      return "palette";
    default:
      return "unknown";
  }
}

// Reads the header and, if `to_rgba`, sets up the transformations to 8-bit RGBA. False on error.
bool png_header(PngReader& reader, ImageInfo& info, bool to_rgba) {
  if (setjmp(png_jmpbuf(reader.png))) return false;
  png_set_read_fn(reader.png, &reader, png_read_from_memory);
  png_read_info(reader.png, reader.info);
  const int color_type = png_get_color_type(reader.png, reader.info),
            bit_depth = png_get_bit_depth(reader.png, reader.info);
  info.format = "PNG";
  info.mode = png_mode(color_type);
  info.bit_depth = bit_depth;
  info.width = png_get_image_width(reader.png, reader.info);
  info.height = png_get_image_height(reader.png, reader.info);
  if (!to_rgba) return true;
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(reader.png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
    png_set_expand_gray_1_2_4_to_8(reader.png);
  if (png_get_valid(reader.png, reader.info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(reader.png);
  // The samples as they are, rounded to 8 bits: no gamma step (the fault of libpng's simplified
  // API, which takes 16-bit samples for linear light and brightens them).
  if (bit_depth == 16) png_set_scale_16(reader.png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA)
    png_set_gray_to_rgb(reader.png);
  png_set_add_alpha(reader.png, 0xff, PNG_FILLER_AFTER);  // no-op where alpha exists
  png_set_interlace_handling(reader.png);
  png_read_update_info(reader.png, reader.info);
  return true;
}

bool png_pixels(PngReader& reader, png_bytepp rows) {
  if (setjmp(png_jmpbuf(reader.png))) return false;
  png_read_image(reader.png, rows);
  return true;
}

Rgba decode_png(const std::string& bytes, const std::string& name) {
  PngReader reader(bytes);
  Rgba image;
  if (!png_header(reader, image.info, true))
    throw DataError(name + ": not a readable PNG: " + reader.error);
  check_size(name, "PNG", image.info.height, image.info.width);
  if (png_get_rowbytes(reader.png, reader.info) != 4 * image.info.width)
    throw DataError(name + ": PNG rows of " +
                    std::to_string(png_get_rowbytes(reader.png, reader.info)) + " bytes, not " +
                    std::to_string(4 * image.info.width));
  image.pixels.resize(4 * image.info.height * image.info.width);
  std::vector<png_bytep> rows(image.info.height);
  for (std::size_t y = 0; y < rows.size(); ++y) rows[y] = &image.pixels[4 * y * image.info.width];
  if (!png_pixels(reader, rows.data()))
    throw DataError(name + ": PNG decode failed: " + reader.error);
  return image;
}

// --- JPEG -----------------------------------------------------------------------------------

struct JpegErrors {
  jpeg_error_mgr manager;  // first: libjpeg sees a jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
};

void jpeg_on_error(j_common_ptr jpeg) {
  auto* errors = reinterpret_cast<JpegErrors*>(jpeg->err);
  (*jpeg->err->format_message)(jpeg, errors->message);
  std::longjmp(errors->jump, 1);
}

// Warnings are errors, but for bytes between markers (common in camera files, and harmless): a
// truncated JPEG is otherwise a warning, and libjpeg fills the missing rows with grey.
void jpeg_on_message(j_common_ptr jpeg, int level) {
  if (level == -1 && jpeg->err->msg_code != JWRN_EXTRANEOUS_DATA) jpeg_on_error(jpeg);
}

struct JpegReader {
  jpeg_decompress_struct jpeg{};
  JpegErrors errors;
  bool created = false;
  ~JpegReader() {
    if (created) jpeg_destroy_decompress(&jpeg);
  }
};

const char* jpeg_mode(J_COLOR_SPACE space) {
  switch (space) {
    case JCS_GRAYSCALE:
      return "grey";
    case JCS_YCbCr:
    case JCS_RGB:
      return "RGB";
    case JCS_CMYK:
    case JCS_YCCK:
      return "CMYK";
    default:
      return "unknown";
  }
}

bool jpeg_header(JpegReader& reader, const std::string& bytes, ImageInfo& info) {
  reader.jpeg.err = jpeg_std_error(&reader.errors.manager);
  reader.errors.manager.error_exit = jpeg_on_error;
  reader.errors.manager.emit_message = jpeg_on_message;
  if (setjmp(reader.errors.jump)) return false;
  jpeg_create_decompress(&reader.jpeg);
  reader.created = true;
  jpeg_mem_src(&reader.jpeg, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&reader.jpeg, TRUE);
  info.format = "JPEG";
  info.mode = jpeg_mode(reader.jpeg.jpeg_color_space);
  info.bit_depth = reader.jpeg.data_precision;
  info.width = reader.jpeg.image_width;
  info.height = reader.jpeg.image_height;
  return true;
}

bool jpeg_pixels(JpegReader& reader, std::uint8_t* rgba) {
  if (setjmp(reader.errors.jump)) return false;
  reader.jpeg.out_color_space = JCS_EXT_RGBA;
  jpeg_start_decompress(&reader.jpeg);
  if (reader.jpeg.output_components != 4) {
    std::snprintf(reader.errors.message, sizeof reader.errors.message,
                  "libjpeg gave %d components, not RGBA", reader.jpeg.output_components);
    return false;
  }
  const std::size_t row_bytes = 4 * std::size_t{reader.jpeg.output_width};
  while (reader.jpeg.output_scanline < reader.jpeg.output_height) {
    JSAMPROW row = rgba + row_bytes * reader.jpeg.output_scanline;
    jpeg_read_scanlines(&reader.jpeg, &row, 1);
  }
  jpeg_finish_decompress(&reader.jpeg);
  return true;
}

Rgba decode_jpeg(const std::string& bytes, const std::string& name) {
  JpegReader reader;
  Rgba image;
  if (!jpeg_header(reader, bytes, image.info))
    throw DataError(name + ": not a readable JPEG: " + reader.errors.message);
  if (image.info.mode == "CMYK" || image.info.mode == "unknown")
    throw DataError(name + ": JPEG in " + image.info.mode +
                    " colour; gradlab reads grey and RGB (YCbCr) JPEGs");
  check_size(name, "JPEG", image.info.height, image.info.width);
  image.pixels.resize(4 * image.info.height * image.info.width);
  if (!jpeg_pixels(reader, image.pixels.data()))
    throw DataError(name + ": JPEG decode failed: " + reader.errors.message);
  return image;
}

// --- conversion -----------------------------------------------------------------------------

enum class Format { pgm, png, jpeg, unknown };

Format format_of(const std::string& bytes) {
  if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '2'))
    return Format::pgm;
  if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) return Format::png;
  if (bytes.size() >= 3 && bytes.compare(0, 3, "\xff\xd8\xff") == 0) return Format::jpeg;
  return Format::unknown;
}

std::string unknown_format(const std::string& name) {
  return name + ": not a PNG, JPEG or PGM (P2/P5) image";
}

// Alpha composited on black, then planes of R, G, B or the luma L (see the header).
Image from_rgba(const Rgba& rgba, std::size_t channels) {
  if (channels != 1 && channels != 3)
    throw std::invalid_argument("images have 1 or 3 channels, not " + std::to_string(channels));
  const std::size_t plane = rgba.info.height * rgba.info.width;
  Image image{channels, rgba.info.height, rgba.info.width,
              std::vector<std::uint8_t>(channels * plane)};
  for (std::size_t i = 0; i < plane; ++i) {
    const std::uint8_t* p = &rgba.pixels[4 * i];
    const unsigned a = p[3];
    const auto over_black = [a](unsigned c) { return (c * a + 127) / 255; };
    const unsigned r = over_black(p[0]), g = over_black(p[1]), b = over_black(p[2]);
    if (channels == 3) {
      image.pixels[i] = static_cast<std::uint8_t>(r);
      image.pixels[plane + i] = static_cast<std::uint8_t>(g);
      image.pixels[2 * plane + i] = static_cast<std::uint8_t>(b);
    } else {
      image.pixels[i] = static_cast<std::uint8_t>((19595 * r + 38470 * g + 7471 * b + 32768) >> 16);
    }
  }
  return image;
}

// Resampling weights along one axis: output o of `out` takes sum_k weight[o][k] ·
// input[first[o] + k], over a window [begin, begin + size) of the input.
struct Taps {
  std::vector<std::size_t> first, count;
  std::vector<std::vector<double>> weight;
};

Taps resample_taps(std::size_t begin, std::size_t size, std::size_t out) {
  const double scale = static_cast<double>(size) / static_cast<double>(out),
               radius = std::max(scale, 1.0);  // the triangle's half-width, in input pixels
  Taps taps;
  for (std::size_t o = 0; o < out; ++o) {
    const double centre = (static_cast<double>(o) + 0.5) * scale;  // in window coordinates
    const auto lo = static_cast<std::size_t>(std::max(0.0, std::floor(centre - radius)));
    const auto hi = std::min(size, static_cast<std::size_t>(std::ceil(centre + radius)));
    std::vector<double> weights;
    double total = 0;
    for (std::size_t i = lo; i < hi; ++i) {
      const double w =
          std::max(0.0, 1.0 - std::abs((static_cast<double>(i) + 0.5 - centre) / radius));
      weights.push_back(w);
      total += w;
    }
    for (double& w : weights) w /= total;
    taps.first.push_back(begin + lo);
    taps.count.push_back(weights.size());
    taps.weight.push_back(std::move(weights));
  }
  return taps;
}

}  // namespace

Image decode_image(const std::string& bytes, const std::string& name, std::size_t channels) {
  switch (format_of(bytes)) {
    case Format::pgm:
      return from_rgba(decode_pgm(bytes, name), channels);
    case Format::png:
      return from_rgba(decode_png(bytes, name), channels);
    case Format::jpeg:
      return from_rgba(decode_jpeg(bytes, name), channels);
    case Format::unknown:
      break;
  }
  throw DataError(unknown_format(name));
}

Image read_image(const std::string& path, std::size_t channels) {
  return decode_image(read_file(path), path, channels);
}

ImageInfo probe_image(const std::string& bytes, const std::string& name) {
  ImageInfo info;
  switch (format_of(bytes)) {
    case Format::pgm: {
      const PgmHeader header = read_pgm_header(bytes, name);
      return {"PGM", "grey", header.maxval > 255 ? 16 : 8, header.height, header.width};
    }
    case Format::png: {
      PngReader reader(bytes);
      if (!png_header(reader, info, false))
        throw DataError(name + ": not a readable PNG: " + reader.error);
      return info;
    }
    case Format::jpeg: {
      JpegReader reader;
      if (!jpeg_header(reader, bytes, info))
        throw DataError(name + ": not a readable JPEG: " + reader.errors.message);
      return info;
    }
    case Format::unknown:
      break;
  }
  throw DataError(unknown_format(name));
}

Image resize_image(const Image& image, std::size_t height, std::size_t width) {
  if (height == 0 || width == 0)
    throw std::invalid_argument("resize_image: to " + std::to_string(height) + "x" +
                                std::to_string(width));
  if (image.height == height && image.width == width) return image;
  // The centred window of the target's aspect ratio: crop the sides of a wider image, the top
  // and bottom of a taller one.
  std::size_t window_h = image.height, window_w = image.width;
  if (image.width * height > image.height * width)
    window_w = std::max<std::size_t>(1, (image.height * width + height / 2) / height);
  else
    window_h = std::max<std::size_t>(1, (image.width * height + width / 2) / width);
  const Taps rows = resample_taps((image.height - window_h) / 2, window_h, height),
             columns = resample_taps((image.width - window_w) / 2, window_w, width);
  Image out{image.channels, height, width,
            std::vector<std::uint8_t>(image.channels * height * width)};
  std::vector<double> horizontal(image.height * width);  // one channel resampled along rows
  for (std::size_t c = 0; c < image.channels; ++c) {
    const std::uint8_t* in = &image.pixels[c * image.height * image.width];
    for (std::size_t y = 0; y < image.height; ++y)
      for (std::size_t x = 0; x < width; ++x) {
        double sum = 0;
        for (std::size_t k = 0; k < columns.count[x]; ++k)
          sum += columns.weight[x][k] * in[y * image.width + columns.first[x] + k];
        horizontal[y * width + x] = sum;
      }
    std::uint8_t* o = &out.pixels[c * height * width];
    for (std::size_t y = 0; y < height; ++y)
      for (std::size_t x = 0; x < width; ++x) {
        double sum = 0;
        for (std::size_t k = 0; k < rows.count[y]; ++k)
          sum += rows.weight[y][k] * horizontal[(rows.first[y] + k) * width + x];
        o[y * width + x] = static_cast<std::uint8_t>(std::clamp(std::lround(sum), 0L, 255L));
      }
  }
  return out;
}

namespace {

// An image's planes interleaved (R G B R G B ...), as PNG and JPEG encoders take them; throws
// std::invalid_argument (naming `who`) unless it has 1 or 3 channels and as many bytes as pixels.
std::vector<std::uint8_t> interleaved(const Image& image, const std::string& who) {
  const std::size_t plane = image.height * image.width, C = image.channels;
  if ((C != 1 && C != 3) || plane == 0 || image.pixels.size() != C * plane)
    throw std::invalid_argument(who + ": " + std::to_string(image.pixels.size()) + " bytes for a " +
                                std::to_string(C) + "x" + std::to_string(image.height) + "x" +
                                std::to_string(image.width) + " image");
  std::vector<std::uint8_t> out(C * plane);
  for (std::size_t i = 0; i < plane; ++i)
    for (std::size_t c = 0; c < C; ++c) out[C * i + c] = image.pixels[c * plane + i];
  return out;
}

// libpng's simplified writer: first the size the encoded image needs, then the encoding.
std::string png_bytes(std::size_t height, std::size_t width, png_uint_32 format,
                      const std::uint8_t* pixels) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(width);
  png.height = static_cast<png_uint_32>(height);
  png.format = format;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, pixels, 0, nullptr))
    throw std::runtime_error(std::string("encode_png: ") + png.message);
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, pixels, 0, nullptr))
    throw std::runtime_error(std::string("encode_png: ") + png.message);
  bytes.resize(size);
  return bytes;
}

bool jpeg_compress(jpeg_compress_struct& jpeg, JpegErrors& errors, const Image& image, int quality,
                   const std::uint8_t* interleaved, unsigned char** out, unsigned long* size) {
  jpeg.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_on_error;
  if (setjmp(errors.jump)) return false;
  jpeg_create_compress(&jpeg);
  jpeg_mem_dest(&jpeg, out, size);
  jpeg.image_width = static_cast<JDIMENSION>(image.width);
  jpeg.image_height = static_cast<JDIMENSION>(image.height);
  jpeg.input_components = static_cast<int>(image.channels);
  jpeg.in_color_space = image.channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&jpeg);
  jpeg_set_quality(&jpeg, quality, TRUE);
  jpeg_start_compress(&jpeg, TRUE);
  const std::size_t row_bytes = image.channels * image.width;
  while (jpeg.next_scanline < jpeg.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(interleaved) + row_bytes * jpeg.next_scanline;
    jpeg_write_scanlines(&jpeg, &row, 1);
  }
  jpeg_finish_compress(&jpeg);
  return true;
}

}  // namespace

std::string encode_png(const GrayImage& image) {
  if (image.height == 0 || image.width == 0 || image.pixels.size() != image.height * image.width)
    throw std::invalid_argument("encode_png: " + std::to_string(image.pixels.size()) +
                                " pixels for a " + std::to_string(image.height) + "x" +
                                std::to_string(image.width) + " image");
  return png_bytes(image.height, image.width, PNG_FORMAT_GRAY, image.pixels.data());
}

std::string encode_png(const Image& image) {
  const std::vector<std::uint8_t> pixels = interleaved(image, "encode_png");
  return png_bytes(image.height, image.width,
                   image.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY, pixels.data());
}

std::string encode_jpeg(const Image& image, int quality) {
  if (quality < 1 || quality > 100)
    throw std::invalid_argument("encode_jpeg: quality " + std::to_string(quality) +
                                " is outside 1..100");
  const std::vector<std::uint8_t> pixels = interleaved(image, "encode_jpeg");
  jpeg_compress_struct jpeg{};
  JpegErrors errors;
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const bool ok = jpeg_compress(jpeg, errors, image, quality, pixels.data(), &out, &size);
  std::string bytes = ok ? std::string(reinterpret_cast<const char*>(out), size) : std::string();
  jpeg_destroy_compress(&jpeg);
  std::free(out);
  if (!ok) throw std::runtime_error(std::string("encode_jpeg: ") + errors.message);
  return bytes;
}

GrayImage tile_images(const std::vector<GrayImage>& images, std::size_t columns, std::size_t border,
                      std::uint8_t gap) {
  if (images.empty() || columns == 0) throw std::invalid_argument("tile_images: no images to tile");
  const std::size_t height = images[0].height, width = images[0].width;
  for (const GrayImage& image : images)
    if (image.height != height || image.width != width)
      throw std::invalid_argument("tile_images: images of different sizes, " +
                                  std::to_string(height) + "x" + std::to_string(width) + " and " +
                                  std::to_string(image.height) + "x" + std::to_string(image.width));
  columns = std::min(columns, images.size());
  const std::size_t rows = (images.size() + columns - 1) / columns;
  GrayImage grid{border + rows * (height + border), border + columns * (width + border), {}};
  grid.pixels.assign(grid.height * grid.width, gap);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const std::size_t top = border + (i / columns) * (height + border),
                      left = border + (i % columns) * (width + border);
    for (std::size_t y = 0; y < height; ++y)
      std::copy_n(&images[i].pixels[y * width], width, &grid.pixels[(top + y) * grid.width + left]);
  }
  return grid;
}

}  // namespace gradlab
