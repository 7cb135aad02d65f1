"""The string hashes of TensorFlow's `to_hash_bucket_fast` / `_strong`.

`fingerprint64` is FarmHash's Fingerprint64 (the `farmhashna` 64-bit hash)
and `siphash64` is SipHash-2-4 keyed by two 64-bit words; written from the
published algorithms in plain Python (Keras's Hashing layer hashes short
strings, one at a time, inside TensorFlow).
"""

from __future__ import annotations

MASK = (1 << 64) - 1
K0 = 0xC3A5C85C97CB3127
K1 = 0xB492B66FBE98F273
K2 = 0x9AE16A3B2F90404F


def _rot(x: int, shift: int) -> int:
    return ((x >> shift) | (x << (64 - shift))) & MASK if shift else x


def _shift_mix(x: int) -> int:
    return x ^ (x >> 47)


def _u64(s: bytes, i: int) -> int:
    return int.from_bytes(s[i : i + 8], "little")


def _u32(s: bytes, i: int) -> int:
    return int.from_bytes(s[i : i + 4], "little")


def _len16(u: int, v: int, mul: int) -> int:
    a = _shift_mix(((u ^ v) * mul) & MASK)
    b = _shift_mix(((v ^ a) * mul) & MASK)
    return (b * mul) & MASK


def _len0to16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = K2 + n * 2
        a = (_u64(s, 0) + K2) & MASK
        b = _u64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & MASK
        d = ((_rot(a, 25) + b) * mul) & MASK
        return _len16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        return _len16(n + (_u32(s, 0) << 3), _u32(s, n - 4), mul)
    if n > 0:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * K2) ^ (z * K0)) & MASK) * K2) & MASK
    return K2


def _len17to32(s: bytes) -> int:
    n = len(s)
    mul = K2 + n * 2
    a = (_u64(s, 0) * K1) & MASK
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & MASK
    d = (_u64(s, n - 16) * K2) & MASK
    return _len16(
        (_rot((a + b) & MASK, 43) + _rot(c, 30) + d) & MASK,
        (a + _rot((b + K2) & MASK, 18) + c) & MASK,
        mul,
    )


def _len33to64(s: bytes) -> int:
    n = len(s)
    mul = K2 + n * 2
    a = (_u64(s, 0) * K2) & MASK
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & MASK
    d = (_u64(s, n - 16) * K2) & MASK
    y = (_rot((a + b) & MASK, 43) + _rot(c, 30) + d) & MASK
    z = _len16(y, (a + _rot((b + K2) & MASK, 18) + c) & MASK, mul)
    e = (_u64(s, 16) * mul) & MASK
    f = _u64(s, 24)
    g = ((y + _u64(s, n - 32)) * mul) & MASK
    h = ((z + _u64(s, n - 24)) * mul) & MASK
    return _len16(
        (_rot((e + f) & MASK, 43) + _rot(g, 30) + h) & MASK,
        (e + _rot((f + a) & MASK, 18) + g) & MASK,
        mul,
    )


def _weak32(s: bytes, i: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = _u64(s, i), _u64(s, i + 8), _u64(s, i + 16), _u64(s, i + 24)
    a = (a + w) & MASK
    b = _rot((b + a + z) & MASK, 21)
    c = a
    a = (a + x + y) & MASK
    b = (b + _rot(a, 44)) & MASK
    return (a + z) & MASK, (b + c) & MASK


def fingerprint64(s: bytes) -> int:
    """FarmHash Fingerprint64 of `s`, an unsigned 64-bit int."""
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    x = 81
    y = (81 * K1 + 113) & MASK
    z = (_shift_mix((y * K2 + 113) & MASK) * K2) & MASK
    v0 = v1 = w0 = w1 = 0
    x = (x * K2 + _u64(s, 0)) & MASK
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v0 + _u64(s, i + 8)) & MASK, 37) * K1) & MASK
        y = (_rot((y + v1 + _u64(s, i + 48)) & MASK, 42) * K1) & MASK
        x ^= w1
        y = (y + v0 + _u64(s, i + 40)) & MASK
        z = (_rot((z + w0) & MASK, 33) * K1) & MASK
        v0, v1 = _weak32(s, i, (v1 * K1) & MASK, (x + w0) & MASK)
        w0, w1 = _weak32(s, i + 32, (z + w1) & MASK, (y + _u64(s, i + 16)) & MASK)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = K1 + ((z & 0xFF) << 1)
    i = last64
    w0 = (w0 + ((n - 1) & 63)) & MASK
    v0 = (v0 + w0) & MASK
    w0 = (w0 + v0) & MASK
    x = (_rot((x + y + v0 + _u64(s, i + 8)) & MASK, 37) * mul) & MASK
    y = (_rot((y + v1 + _u64(s, i + 48)) & MASK, 42) * mul) & MASK
    x ^= (w1 * 9) & MASK
    y = (y + v0 * 9 + _u64(s, i + 40)) & MASK
    z = (_rot((z + w0) & MASK, 33) * mul) & MASK
    v0, v1 = _weak32(s, i, (v1 * mul) & MASK, (x + w0) & MASK)
    w0, w1 = _weak32(s, i + 32, (z + w1) & MASK, (y + _u64(s, i + 16)) & MASK)
    z, x = x, z
    return _len16(
        (_len16(v0, w0, mul) + _shift_mix(y) * K0 + z) & MASK,
        (_len16(v1, w1, mul) + x) & MASK,
        mul,
    )


def siphash64(key: tuple[int, int], s: bytes) -> int:
    """SipHash-2-4 of `s` under the 128-bit key `(k0, k1)`."""
    k0, k1 = key[0] & MASK, key[1] & MASK
    v = [
        k0 ^ 0x736F6D6570736575,
        k1 ^ 0x646F72616E646F6D,
        k0 ^ 0x6C7967656E657261,
        k1 ^ 0x7465646279746573,
    ]

    def rounds(count: int) -> None:
        for _ in range(count):
            v[0] = (v[0] + v[1]) & MASK
            v[1] = _rot(v[1], 51) ^ v[0]  # rotl 13
            v[0] = _rot(v[0], 32)
            v[2] = (v[2] + v[3]) & MASK
            v[3] = _rot(v[3], 48) ^ v[2]  # rotl 16
            v[0] = (v[0] + v[3]) & MASK
            v[3] = _rot(v[3], 43) ^ v[0]  # rotl 21
            v[2] = (v[2] + v[1]) & MASK
            v[1] = _rot(v[1], 47) ^ v[2]  # rotl 17
            v[2] = _rot(v[2], 32)

    n = len(s)
    tail = s[n - n % 8 :] + bytes(7 - n % 8) + bytes([n & 0xFF])
    for block in [_u64(s, i) for i in range(0, n - n % 8, 8)] + [_u64(tail, 0)]:
        v[3] ^= block
        rounds(2)
        v[0] ^= block
    v[2] ^= 0xFF
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]
