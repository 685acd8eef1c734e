// CICUShim: thin C wrappers over ICU's break iterator and normalizer. See include/CICUShim.h for why.
#include "CICUShim.h"

#include <stdlib.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unorm2.h>
#include <unicode/uversion.h>
#include <unicode/utypes.h>

struct crnn_breaker {
    UBreakIterator *iterator;
};

const char *crnn_icu_version(void) { return U_ICU_VERSION; }

const char *crnn_icu_error_name(int32_t status) { return u_errorName((UErrorCode)status); }

crnn_breaker *crnn_breaker_open(int32_t kind, const char *locale, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    UBreakIteratorType type = kind == CRNN_BREAK_WORD ? UBRK_WORD : UBRK_CHARACTER;
    UBreakIterator *iterator = ubrk_open(type, locale, NULL, 0, &error);
    *status = (int32_t)error;
    if (U_FAILURE(error) || iterator == NULL) {
        if (iterator != NULL) ubrk_close(iterator);
        if (!U_FAILURE(error)) *status = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    crnn_breaker *breaker = malloc(sizeof(crnn_breaker));
    if (breaker == NULL) {
        ubrk_close(iterator);
        *status = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    breaker->iterator = iterator;
    return breaker;
}

void crnn_breaker_close(crnn_breaker *breaker) {
    if (breaker == NULL) return;
    ubrk_close(breaker->iterator);
    free(breaker);
}

int32_t crnn_breaker_set_text(crnn_breaker *breaker, const uint16_t *text, int32_t length) {
    UErrorCode error = U_ZERO_ERROR;
    ubrk_setText(breaker->iterator, (const UChar *)text, length, &error);
    return (int32_t)error;
}

int32_t crnn_breaker_next(crnn_breaker *breaker, int32_t *boundaries, int32_t capacity) {
    int32_t count = 0;
    while (count < capacity) {
        int32_t boundary = ubrk_next(breaker->iterator);
        if (boundary == UBRK_DONE) break;
        boundaries[count++] = boundary;
    }
    return count;
}

int32_t crnn_breaker_following(crnn_breaker *breaker, int32_t offset) {
    int32_t boundary = ubrk_following(breaker->iterator, offset);
    return boundary == UBRK_DONE ? -1 : boundary;
}

int32_t crnn_grapheme_flags(uint32_t c) {
    int32_t gcb = u_getIntPropertyValue((UChar32)c, UCHAR_GRAPHEME_CLUSTER_BREAK);
    int32_t flags = 0;
    if ((gcb == U_GCB_OTHER || gcb == U_GCB_CONTROL || gcb == U_GCB_LF) && !(c >= 0xD800 && c <= 0xDFFF)) {
        flags |= CRNN_GRAPHEME_SIMPLE;
    }
    // Indic_Conjunct_Break, derived as in Unicode 16's DerivedCoreProperties.txt:
    //   Linker    = Indic_Syllabic_Category=Virama    in Bengali, Devanagari, Gujarati, Malayalam, Oriya, Telugu
    //   Consonant = Indic_Syllabic_Category=Consonant in the same scripts
    //   Extend    = [Grapheme_Cluster_Break=Extend or ZWJ] − Linker − U+200C
    UErrorCode error = U_ZERO_ERROR;
    UScriptCode script = uscript_getScript((UChar32)c, &error);
    int conjunctScript =
        U_SUCCESS(error) && (script == USCRIPT_BENGALI || script == USCRIPT_DEVANAGARI || script == USCRIPT_GUJARATI ||
                             script == USCRIPT_MALAYALAM || script == USCRIPT_ORIYA || script == USCRIPT_TELUGU);
    int32_t insc = u_getIntPropertyValue((UChar32)c, UCHAR_INDIC_SYLLABIC_CATEGORY);
    if (conjunctScript && insc == U_INSC_VIRAMA) {
        flags |= CRNN_INCB_LINKER;
    } else if (conjunctScript && insc == U_INSC_CONSONANT) {
        flags |= CRNN_INCB_CONSONANT;
    } else if ((gcb == U_GCB_EXTEND || gcb == U_GCB_ZWJ) && c != 0x200C) {
        flags |= CRNN_INCB_EXTEND;
    }
    return flags;
}

const crnn_normalizer *crnn_normalizer_get(int32_t form, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    const UNormalizer2 *normalizer =
        form == CRNN_NORMALIZE_NFKC ? unorm2_getNFKCInstance(&error) : unorm2_getNFCInstance(&error);
    *status = (int32_t)error;
    return U_FAILURE(error) ? NULL : (const crnn_normalizer *)normalizer;
}

int32_t crnn_normalizer_span(const crnn_normalizer *normalizer, const uint16_t *text, int32_t length, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    int32_t span = unorm2_spanQuickCheckYes((const UNormalizer2 *)normalizer, (const UChar *)text, length, &error);
    *status = (int32_t)error;
    return span;
}

int32_t crnn_normalizer_normalize(const crnn_normalizer *normalizer, const uint16_t *text, int32_t length,
                                  uint16_t *destination, int32_t capacity, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    int32_t written = unorm2_normalize((const UNormalizer2 *)normalizer, (const UChar *)text, length,
                                       (UChar *)destination, capacity, &error);
    *status = (int32_t)error;
    return written;
}

_Static_assert(CRNN_BUFFER_OVERFLOW == U_BUFFER_OVERFLOW_ERROR, "CRNN_BUFFER_OVERFLOW must equal ICU's value");
