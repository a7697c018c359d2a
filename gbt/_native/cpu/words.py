"""64-bit words of byte arrays, and the bit counts that work on them.

Kernels over uint8 bins (``transpose.transpose_bins``, ``histogram.sparse_cells``) handle
eight bins at a time as one uint64. ``load_word`` / ``store_word`` read and write such a word
at any byte offset; ``nonzero_bytes`` marks the bytes of a word that are not zero, and
``popcount`` / ``trailing_zeros`` count and find the marks (one instruction each: LLVM's
``ctpop`` and ``cttz``). Byte j of a word is bits 8j..8j+7: little-endian, as on every platform
Numba builds for (x86-64, AArch64, ppc64le).
"""
from llvmlite import ir
from numba import njit, uint64
from numba.core import cgutils, types
from numba.extending import intrinsic

_BYTE_HIGH_BITS = uint64(0x8080808080808080)
_BYTE_LOW_BITS = uint64(0x7F7F7F7F7F7F7F7F)


def _is_c_array(array):
    return isinstance(array, types.Array) and array.layout == "C"


def _word_pointer(context, builder, array_type, array, byte_offset):
    data = context.make_array(array_type)(context, builder, array).data
    byte = builder.bitcast(data, ir.IntType(8).as_pointer())
    return builder.bitcast(builder.gep(byte, [byte_offset]), ir.IntType(64).as_pointer())


@intrinsic
def load_word(typingctx, array, byte_offset):
    """The 8 bytes of a C-contiguous array from ``byte_offset`` on, as a uint64 (any
    alignment; the bytes must lie inside the array)."""
    def codegen(context, builder, signature, args):
        return builder.load(_word_pointer(context, builder, signature.args[0], *args), align=1)
    if not _is_c_array(array):
        return None  # a typing error
    return types.uint64(array, types.uint64), codegen


@intrinsic
def store_word(typingctx, array, byte_offset, word):
    """Write the uint64 ``word`` over 8 bytes of a C-contiguous array (any alignment)."""
    def codegen(context, builder, signature, args):
        builder.store(args[2], _word_pointer(context, builder, signature.args[0], *args[:2]),
                      align=1)
        return context.get_dummy_value()
    if not _is_c_array(array):
        return None  # a typing error
    return types.void(array, types.uint64, types.uint64), codegen


def _bit_count(name):
    """An intrinsic calling LLVM's ``llvm.<name>.i64`` on a uint64 (``cttz`` with its
    "zero is undefined" flag set: callers pass a nonzero word)."""
    def typer(typingctx, word):
        def codegen(context, builder, signature, args):
            i64 = ir.IntType(64)
            extra = [ir.IntType(1)] if name == "cttz" else []
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(i64, [i64] + extra), f"llvm.{name}.i64")
            return builder.call(fn, [args[0]] + [ir.Constant(t, 1) for t in extra])
        return types.uint64(types.uint64), codegen
    return intrinsic(typer)


popcount = _bit_count("ctpop")
popcount.__doc__ = "The number of set bits of a uint64."
trailing_zeros = _bit_count("cttz")
trailing_zeros.__doc__ = "The index of the lowest set bit of a nonzero uint64."


@njit(cache=True, nogil=True, inline="always")
def nonzero_bytes(word):
    """``word`` with bit 7 of each byte set where that byte is not zero, every other bit
    clear (adding 0x7F to a byte's low seven bits carries into bit 7 unless they are zero;
    the OR then takes bit 7 itself)."""
    return (((word & _BYTE_LOW_BITS) + _BYTE_LOW_BITS) | word) & _BYTE_HIGH_BITS
