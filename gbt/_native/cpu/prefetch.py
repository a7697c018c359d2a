"""``prefetch``: ask the CPU to start loading an array element into cache ahead of its use.

A deep tree node's rows are scattered over the training matrix, so the histogram loop reads
each row's bins and gradients from memory the cache does not hold; the out-of-order core only
overlaps a couple of rows' misses. Hinting rows a few iterations ahead overlaps many (LLVM's
``llvm.prefetch``: no fault, no effect on results).
"""
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, flat_index):
    """Prefetch ``array.reshape(-1)[flat_index]`` (a C-contiguous array; the index must lie
    inside it) for reading, into every cache level."""
    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        byte_ptr = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32]),
            "llvm.prefetch.p0i8")
        address = builder.bitcast(builder.gep(data, [args[1]]), byte_ptr)
        # read (0), keep in all cache levels (3), data cache (1)
        builder.call(fn, [address, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()
    return types.void(array, types.uint64), codegen
