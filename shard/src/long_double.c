/* INCRBYFLOAT arithmetic in C's long double, because Redis computes and prints it that way
 * (80-bit x87 precision on x86-64, "%.17Lf" output) and Rust has no such type. Written for
 * Shardis; mirrors the documented behaviour of Redis's string2ld / ld2string(LD_STR_HUMAN). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARDIS_LD_MAX_CHARS (5 * 1024)

static int shardis_parse_ld(const char *text, size_t len, long double *out) {
    char buf[SHARDIS_LD_MAX_CHARS];
    char *end;
    long double value;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, text, len);
    buf[len] = '\0';
    errno = 0;
    value = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || end[0] != '\0' || (size_t)(end - buf) != len ||
        (errno == ERANGE && (value == HUGE_VALL || value == -HUGE_VALL || fpclassify(value) == FP_ZERO)) ||
        errno == EINVAL || isnan(value))
        return 0;
    *out = value;
    return 1;
}

/* current + increment, formatted into out. Returns the length, -1 if either operand is not a
 * valid float, -2 if the sum is NaN or infinite. */
long shardis_ld_incr(const char *current, size_t current_len, const char *incr, size_t incr_len,
                     char *out, size_t out_cap) {
    long double value, increment;
    int len;
    if (!shardis_parse_ld(current, current_len, &value)) return -1;
    if (!shardis_parse_ld(incr, incr_len, &increment)) return -1;
    value += increment;
    if (isnan(value) || isinf(value)) return -2;
    len = snprintf(out, out_cap, "%.17Lf", value);
    if (len < 0 || (size_t)len + 1 > out_cap) return 0;
    if (memchr(out, '.', (size_t)len) != NULL) {
        while (len > 0 && out[len - 1] == '0') len--;
        if (len > 0 && out[len - 1] == '.') len--;
    }
    if (len == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        len = 1;
    }
    return len;
}
