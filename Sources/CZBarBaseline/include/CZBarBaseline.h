#pragma once
#include <stdint.h>

/// The benchmark's reference: what a C programmer writes to decode a Y800 frame with libzbar, with no
/// wrapper in between. Decodes `iterations` times with one scanner, configured like ZBarDecoder's cheap
/// pass for the given symbology set (`symbologies` is a list of zbar_symbol_type_t values, `count` long;
/// 0 entries means all). `binary_qr` sets ZBAR_CFG_BINARY on QR. Returns the number of symbols found
/// over all iterations; the caller times the call.
long fp_zbar_baseline_decode(const uint8_t *luma, int width, int height, long iterations,
                             const int *symbologies, int count, int binary_qr);
