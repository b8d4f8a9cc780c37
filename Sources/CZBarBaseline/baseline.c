#include "CZBarBaseline.h"
#include <stddef.h>
#include <zbar.h>

long fp_zbar_baseline_decode(const uint8_t *luma, int width, int height, long iterations,
                             const int *symbologies, int count, int binary_qr) {
    zbar_image_scanner_t *scanner = zbar_image_scanner_create();
    if (count > 0) {
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
        for (int i = 0; i < count; i++)
            zbar_image_scanner_set_config(scanner, (zbar_symbol_type_t)symbologies[i], ZBAR_CFG_ENABLE, 1);
    }
    if (binary_qr) zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
    long found = 0;
    for (long n = 0; n < iterations; n++) {
        zbar_image_t *image = zbar_image_create();
        zbar_image_set_format(image, zbar_fourcc('Y', '8', '0', '0'));
        zbar_image_set_size(image, (unsigned)width, (unsigned)height);
        zbar_image_set_data(image, luma, (unsigned long)width * (unsigned long)height, NULL);
        int r = zbar_scan_image(scanner, image);
        if (r > 0) {
            for (const zbar_symbol_t *s = zbar_image_first_symbol(image); s; s = zbar_symbol_next(s)) {
                (void)zbar_symbol_get_data(s);
                (void)zbar_symbol_get_data_length(s);
                found++;
            }
        }
        zbar_image_destroy(image);
    }
    zbar_image_scanner_destroy(scanner);
    return found;
}
