// CICUShim: the only code in charrnn that includes ICU headers.
//
// Why a shim: Foundation on Linux carries a private ICU module; a Swift module that imports Foundation and
// also sees the system's ICU headers fails to build ("'UErrorCode' has different definitions"). This header
// exposes no ICU types: plain integers, UTF-16 as uint16_t, and opaque handles. It also hides ICU's versioned
// symbol names (ubrk_open_72 and so on) behind stable ones.
//
// Status values are ICU's UErrorCode numbers: 0 is success, negative values are warnings, positive ones errors.
#ifndef CHARRNN_CICUSHIM_H
#define CHARRNN_CICUSHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// ICU's version string, such as "72.1".
const char *crnn_icu_version(void);

/// ICU's name for a status value, such as "U_BUFFER_OVERFLOW_ERROR".
const char *crnn_icu_error_name(int32_t status);

/// ICU's U_BUFFER_OVERFLOW_ERROR: an output buffer was too small; the returned length says how much is needed.
enum { CRNN_BUFFER_OVERFLOW = 15 };

// MARK: Break iteration (user-perceived characters and words)

typedef struct crnn_breaker crnn_breaker;

enum {
    /// Extended grapheme clusters (ICU's character break iterator, UAX #29).
    CRNN_BREAK_CHARACTER = 0,
    /// Words, with spaces and punctuation as their own segments; dictionary-based for Chinese, Japanese, Thai.
    CRNN_BREAK_WORD = 1
};

/// Opens a break iterator of `kind` for `locale` ("" for the root locale). Returns NULL and sets `*status` on failure.
crnn_breaker *crnn_breaker_open(int32_t kind, const char *locale, int32_t *status);

/// Closes a break iterator. NULL is allowed.
void crnn_breaker_close(crnn_breaker *breaker);

/// Points the iterator at `text[0..<length]` (UTF-16, not copied: it must stay alive while iterating).
/// Returns a status.
int32_t crnn_breaker_set_text(crnn_breaker *breaker, const uint16_t *text, int32_t length);

/// Writes the next boundaries after the current position (UTF-16 offsets, increasing, ending with `length`)
/// to `boundaries`, at most `capacity` of them. Returns how many were written: 0 once the text is done.
int32_t crnn_breaker_next(crnn_breaker *breaker, int32_t *boundaries, int32_t capacity);

/// The first boundary after `offset`, or -1 when there is none. Moves the iterator there.
int32_t crnn_breaker_following(crnn_breaker *breaker, int32_t offset);

// MARK: Character properties for the grapheme fast path

enum {
    /// Bit set for a BMP code point whose Grapheme_Cluster_Break is Other, Control or LF (not CR, not a
    /// surrogate): between two such code points there is always a grapheme cluster boundary (UAX #29).
    CRNN_GRAPHEME_SIMPLE = 1,
    /// Indic_Conjunct_Break (Unicode 15.1, rule GB9c) in bits 1–2: Consonant, Linker or Extend.
    CRNN_INCB_CONSONANT = 2,
    CRNN_INCB_LINKER = 4,
    CRNN_INCB_EXTEND = 6,
    CRNN_INCB_MASK = 6
};

/// The CRNN_GRAPHEME_SIMPLE and CRNN_INCB_* bits of code point `c`, computed from ICU's property data
/// (Indic_Conjunct_Break is derived as Unicode 16 defines it, since ICU 72 predates the property).
int32_t crnn_grapheme_flags(uint32_t c);

// MARK: Normalization

typedef struct crnn_normalizer crnn_normalizer;

enum { CRNN_NORMALIZE_NFC = 0, CRNN_NORMALIZE_NFKC = 1 };

/// The shared normalizer instance for `form` (owned by ICU; never closed). NULL and `*status` on failure.
const crnn_normalizer *crnn_normalizer_get(int32_t form, int32_t *status);

/// The length of the longest prefix of `text` that is certainly normalized already (ICU's quick check "yes").
int32_t crnn_normalizer_span(const crnn_normalizer *normalizer, const uint16_t *text, int32_t length, int32_t *status);

/// Normalizes `text` into `destination` (capacity `capacity`). Returns the length of the normalized text; when
/// that exceeds `capacity`, `*status` is U_BUFFER_OVERFLOW_ERROR and the caller retries with a larger buffer.
int32_t crnn_normalizer_normalize(const crnn_normalizer *normalizer, const uint16_t *text, int32_t length,
                                  uint16_t *destination, int32_t capacity, int32_t *status);

#ifdef __cplusplus
}
#endif

#endif
