/**
 * Golden signing vectors from the reference (§2.3). The vendor host inside the T3/T4 bodies is
 * signed data of the published vector, not a base URL: the bytes must stay exactly as published
 * for the published digests to match.
 */
export const T2_QUERY = {
  app_key: '68xu9ks5p4i8',
  shop_cipher: 'ROW_xkMbgAAAeVAQra0eZWebFQq5aIK',
  timestamp: '1696909648',
};
export const T3_BODY = '{"event_type":"PACKAGE_UPDATE","address":"https://partner.tiktokshop.com"}';
export const T4_BODY = '{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}';
export const T1_SIGN = 'b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8';
export const T2_SIGN = 'ed58e1b5e59865c22a7b828c1cab65007441f43cc91a6cb2f2cdc638e0995a37';
export const T3_SIGN = '701dd6deb2389fe4c469b89bd37fc56f96a6da6afeb4d01c9077a65169752fa7';
export const T4_SIGN = 'cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a';
