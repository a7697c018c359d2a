"""``exp`` that compiles to a vectorisable loop body.

Numba calls libm's scalar ``exp``, so a loop of exponentials (the logistic and softmax
gradients) runs one element at a time, about 10 ns each. This one is straight-line
arithmetic (Cody-Waite range reduction, a degree-13 Taylor polynomial and an exponent built
from bits): LLVM vectorises loops over it, and it stays within 3 ulps of libm's result for
every input in [-708, 709] (inputs are clamped to that range; the results there are 0-like or
1e308-like either way). Loops using it need ``error_model="numpy"``: Numba's default checks
each float division for a zero divisor, and that branch stops the vectoriser.
"""
from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.extending import intrinsic

_LOG2_E = 1.4426950408889634
_LN2_HI = 0.6931471803691238      # ln 2 split in two, so k * _LN2_HI is exact
_LN2_LO = 1.9082149292705877e-10


# Adding 2^52 + 2^51 rounds a float64 of magnitude below 2^51 to an integer, which then sits in
# the low bits of the sum's IEEE bits. Taking k from there spares a floor and a float -> int64
# conversion, which AVX2 has no vector instruction for (the loop around it then ran one
# element at a time).
_ROUND = 6755399441055744.0


@intrinsic
def _bits_as_float64(typingctx, bits):
    """The float64 whose IEEE bits are the int64 ``bits`` (a register move, no memory)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


@intrinsic
def _float64_bits(typingctx, x):
    """The IEEE bits of the float64 ``x`` as an int64 (a register move, no memory)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c for float64, rounded once (LLVM's ``llvm.fma``: one vfmadd a lane, where a
    multiply and an add take two instructions and twice the latency on the polynomial's
    chain of dependent steps)."""
    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(double, [double, double, double]), "llvm.fma.f64")
        return builder.call(fn, args)
    return types.float64(types.float64, types.float64, types.float64), codegen


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def fast_exp(x):
    """exp(x) for float64 x, within 3 ulps of ``np.exp`` on [-708, 709]; x is clamped there."""
    x = min(max(x, -708.0), 709.0)
    rounded = x * _LOG2_E + _ROUND
    k = rounded - _ROUND  # x / ln 2 rounded to the nearest integer
    r = (x - k * _LN2_HI) - k * _LN2_LO  # |r| <= ln(2) / 2
    p = 1.0 / 6227020800.0  # Horner's rule, one fused multiply-add a step
    p = _fma(p, r, 1.0 / 479001600.0)
    p = _fma(p, r, 1.0 / 39916800.0)
    p = _fma(p, r, 1.0 / 3628800.0)
    p = _fma(p, r, 1.0 / 362880.0)
    p = _fma(p, r, 1.0 / 40320.0)
    p = _fma(p, r, 1.0 / 5040.0)
    p = _fma(p, r, 1.0 / 720.0)
    p = _fma(p, r, 1.0 / 120.0)
    p = _fma(p, r, 1.0 / 24.0)
    p = _fma(p, r, 1.0 / 6.0)
    p = _fma(p, r, 0.5)
    p = _fma(p, r, 1.0)
    p = _fma(p, r, 1.0)
    # times 2^k: k is the difference of the two sums' bits
    return p * _bits_as_float64((_float64_bits(rounded) - _float64_bits(_ROUND) + 1023) << 52)
