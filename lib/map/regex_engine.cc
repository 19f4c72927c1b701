// regex_engine - POSIX regex and PCRE2 behind one interface (see regex_engine.h)
#include "lib/map/regex_engine.h"

#include <regex.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lib/map/lookup_table.h"

namespace posthorn::map {

namespace {

class PosixRegex : public CompiledRegex {
 public:
  PosixRegex() = default;
  ~PosixRegex() override {
    if (compiled_) ::regfree(&re_);
  }
  PosixRegex(const PosixRegex&) = delete;
  PosixRegex& operator=(const PosixRegex&) = delete;

  bool compile(const std::string& pattern, int cflags, std::string* error) {
    const int ret = ::regcomp(&re_, pattern.c_str(), cflags);
    if (ret != 0) {
      char buf[256];
      ::regerror(ret, &re_, buf, sizeof buf);
      *error = buf;
      return false;
    }
    compiled_ = true;
    return true;
  }

  bool match(std::string_view text, std::vector<std::string>* groups) const override {
    const std::string s(text);
    std::vector<regmatch_t> m(re_.re_nsub + 1);
    if (::regexec(&re_, s.c_str(), m.size(), m.data(), 0) != 0) return false;
    if (groups != nullptr) {
      groups->clear();
      for (const regmatch_t& g : m) {
        groups->push_back(g.rm_so < 0 ? std::string() : s.substr(g.rm_so, g.rm_eo - g.rm_so));
      }
    }
    return true;
  }

  int subexpressions() const override { return static_cast<int>(re_.re_nsub); }

 private:
  regex_t re_{};
  bool compiled_ = false;
};

class PcreRegex : public CompiledRegex {
 public:
  PcreRegex() = default;
  ~PcreRegex() override {
    if (data_ != nullptr) pcre2_match_data_free(data_);
    if (code_ != nullptr) pcre2_code_free(code_);
  }
  PcreRegex(const PcreRegex&) = delete;
  PcreRegex& operator=(const PcreRegex&) = delete;

  bool compile(const std::string& pattern, uint32_t options, std::string* error) {
    int code = 0;
    PCRE2_SIZE offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                          &code, &offset, nullptr);
    if (code_ == nullptr) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(code, buf, sizeof buf);
      *error = reinterpret_cast<const char*>(buf);
      *error += " at offset " + std::to_string(offset);
      return false;
    }
    data_ = pcre2_match_data_create_from_pattern(code_, nullptr);
    uint32_t count = 0;
    pcre2_pattern_info(code_, PCRE2_INFO_CAPTURECOUNT, &count);
    captures_ = static_cast<int>(count);
    return true;
  }

  bool match(std::string_view text, std::vector<std::string>* groups) const override {
    const int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
                               0, data_, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc < 0) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(rc, buf, sizeof buf);
      throw MapError(std::string("PCRE matching error: ") + reinterpret_cast<const char*>(buf));
    }
    if (groups != nullptr) {
      groups->clear();
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data_);
      for (int i = 0; i <= captures_; ++i) {
        const bool set = i < rc && ov[2 * i] != PCRE2_UNSET;
        groups->push_back(set ? std::string(text.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]))
                              : std::string());
      }
    }
    return true;
  }

  int subexpressions() const override { return captures_; }

 private:
  pcre2_code* code_ = nullptr;
  pcre2_match_data* data_ = nullptr;
  int captures_ = 0;
};

struct FlagBit {
  char flag;
  uint32_t bit;
};

// Toggles each flag's bit in options; false for an unknown flag.
bool applyFlags(std::string_view flags, const std::vector<FlagBit>& table, uint32_t& options,
                std::string* error) {
  for (char f : flags) {
    bool known = false;
    for (const FlagBit& fb : table) {
      if (fb.flag == f) {
        options ^= fb.bit;
        known = true;
      }
    }
    if (!known) {
      *error = std::string("unknown flag '") + f + "'";
      return false;
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<CompiledRegex> compileRegex(RegexDialect dialect, const std::string& pattern,
                                            std::string_view flags, std::string* error) {
  if (dialect == RegexDialect::Posix) {
    uint32_t options = REG_ICASE | REG_EXTENDED;
    if (!applyFlags(flags, {{'i', REG_ICASE}, {'x', REG_EXTENDED}, {'m', REG_NEWLINE}}, options,
                    error)) {
      return nullptr;
    }
    auto re = std::make_unique<PosixRegex>();
    if (!re->compile(pattern, static_cast<int>(options), error)) return nullptr;
    return re;
  }
  uint32_t options = PCRE2_CASELESS;
  if (!applyFlags(flags,
                  {{'i', PCRE2_CASELESS}, {'m', PCRE2_MULTILINE}, {'s', PCRE2_DOTALL},
                   {'x', PCRE2_EXTENDED}, {'A', PCRE2_ANCHORED}, {'E', PCRE2_DOLLAR_ENDONLY},
                   {'U', PCRE2_UNGREEDY}, {'X', 0}},
                  options, error)) {
    return nullptr;
  }
  auto re = std::make_unique<PcreRegex>();
  if (!re->compile(pattern, options, error)) return nullptr;
  return re;
}

}  // namespace posthorn::map
