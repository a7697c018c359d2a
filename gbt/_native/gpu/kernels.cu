// CUDA kernels of the GPU backend; compiled lazily through CuPy (see kernels.py).
//
// Each kernel mirrors a Numba kernel of gbt/_native/cpu with the same data layout:
//   binned features  (n_rows, n_features) BinT (uint8 / uint16), row major
//   gradients        (n_rows, K, 2) float32: g and h of each output
//   histogram pool   (n_slots, n_features, n_bins_total, K, 2) float64; the last bin is missing
// Histogram sums are float64 (shared-memory atomics, then one global atomic per bin and
// block), so "parent - smaller child" stays exact to float64 rounding, as on the CPU.

#define GBT_INF __longlong_as_double(0x7ff0000000000000LL)

// ---------------------------------------------------------------- binning

template <typename FloatT, typename BinT>
__global__ void bin_dense(const FloatT* X, long long n_rows, int n_features,
                          const double* cuts, const long long* offsets, int missing_bin,
                          BinT* out) {
    const long long total = n_rows * n_features;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total;
         idx += (long long)gridDim.x * blockDim.x) {
        const int j = (int)(idx % n_features);
        const double x = (double)X[idx];
        if (isnan(x)) {
            out[idx] = (BinT)missing_bin;
            continue;
        }
        // First edge with x <= edge; the last edge is +inf so one always exists.
        long long lo = offsets[j], hi = offsets[j + 1] - 1;
        const long long base = lo;
        while (lo < hi) {
            const long long mid = (lo + hi) >> 1;
            if (x <= cuts[mid]) hi = mid; else lo = mid + 1;
        }
        out[idx] = (BinT)(lo - base);
    }
}

// ---------------------------------------------------------------- histograms

// One block adds rows rows[lo:hi] into the histogram `out` (a slot of the pool), for the
// features [f0, f0 + nf) of its tile. With use_shared it accumulates in shared memory first
// (the tile's features fit), else straight into global memory.
template <typename BinT>
__device__ void add_rows_to_hist(const BinT* X, int n_features, const float* gh, int K,
                                 const int* rows, long long lo, long long hi, int f0, int nf,
                                 int n_bins_total, int use_shared, double* out, double* sh) {
    const int width = n_bins_total * K * 2;  // doubles per feature
    const int size = nf * width;
    out += (long long)f0 * width;
    double* acc = use_shared ? sh : out;
    if (use_shared) {
        for (int i = threadIdx.x; i < size; i += blockDim.x) sh[i] = 0.0;
        __syncthreads();
    }
    const int n_pairs = (int)(hi - lo) * nf;
    for (int t = threadIdx.x; t < n_pairs; t += blockDim.x) {
        const int i = t / nf;
        const int fl = t - i * nf;
        const long long r = rows[lo + i];
        const int b = (int)X[r * n_features + f0 + fl];
        const float* g = gh + r * K * 2;
        double* a = acc + fl * width + b * K * 2;
        for (int k = 0; k < K; ++k) {
            atomicAdd(a + 2 * k, (double)g[2 * k]);
            atomicAdd(a + 2 * k + 1, (double)g[2 * k + 1]);
        }
    }
    if (use_shared) {
        __syncthreads();
        for (int i = threadIdx.x; i < size; i += blockDim.x) {
            const double v = sh[i];
            if (v != 0.0) atomicAdd(out + i, v);
        }
    }
}

// Block b adds rows rows[blk_lo[b]:blk_hi[b]] into slot blk_slot[b], for the features of
// tile blockIdx.y (f_tile features a tile; see add_rows_to_hist).
template <typename BinT>
__global__ void build_hist(const BinT* X, int n_features, const float* gh, int K,
                           const int* rows, const long long* blk_lo, const long long* blk_hi,
                           const long long* blk_slot, int n_bins_total, int f_tile,
                           int use_shared, double* pool) {
    extern __shared__ double sh[];
    const int f0 = blockIdx.y * f_tile;
    const int nf = min(f_tile, n_features - f0);
    const long long lo = blk_lo[blockIdx.x], hi = blk_hi[blockIdx.x];
    if (nf <= 0 || lo >= hi) return;  // uniform over the block
    double* out = pool + (long long)blk_slot[blockIdx.x] * n_features * n_bins_total * K * 2;
    add_rows_to_hist(X, n_features, gh, K, rows, lo, hi, f0, nf, n_bins_total, use_shared,
                     out, sh);
}

// pool[slots[i]] = 0 for i < n_slots; slot_size doubles per slot.
__global__ void zero_slots(double* pool, const long long* slots, int n_slots,
                           long long slot_size) {
    const long long total = n_slots * slot_size;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        const long long i = t / slot_size;
        pool[slots[i] * slot_size + (t - i * slot_size)] = 0.0;
    }
}

// pool[parent[i]] -= pool[small[i]]: the larger child's histogram in its parent's buffer.
__global__ void subtract_slots(double* pool, const long long* parent, const long long* small,
                               int n_pairs, long long slot_size) {
    const long long total = n_pairs * slot_size;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        const long long i = t / slot_size;
        const long long j = t - i * slot_size;
        pool[parent[i] * slot_size + j] -= pool[small[i] * slot_size + j];
    }
}

// ---------------------------------------------------------------- split scan

// The gain rules of gbt/_native/cpu/split.py, line for line.
__device__ __forceinline__ double leaf_weight(double G, double H, double lam, double alpha,
                                              double mds) {
    double t;
    if (G > alpha) t = G - alpha;
    else if (G < -alpha) t = G + alpha;
    else return 0.0;
    if (H + lam <= 0.0) return 0.0;
    double w = -t / (H + lam);
    if (mds > 0.0) {
        if (w > mds) w = mds;
        else if (w < -mds) w = -mds;
    }
    return w;
}

__device__ __forceinline__ double node_score(double G, double H, double lam, double alpha,
                                             double mds) {
    if (alpha == 0.0 && mds == 0.0) return H + lam > 0.0 ? G * G / (H + lam) : 0.0;
    const double w = leaf_weight(G, H, lam, alpha, mds);
    return -(2.0 * G * w + (H + lam) * w * w + 2.0 * alpha * fabs(w));
}

__device__ __forceinline__ double children_score(double gl, double hl, double G, double H,
                                                 double lam, double alpha, double mds) {
    return node_score(gl, hl, lam, alpha, mds) + node_score(G - gl, H - hl, lam, alpha, mds);
}

__device__ __forceinline__ bool sizes_ok(double left_h, double right_h, double C,
                                         double per_h, double mcw, double mcs) {
    const double x = left_h * per_h + 0.5;
    const double least = mcs > 1.0 ? mcs : 1.0;
    return (left_h >= mcw) & (right_h >= mcw) & (x >= least) & (x < C - least + 1.0);
}

// Inclusive prefix sum over the block (blockDim.x a multiple of 32, at most 1024).
template <typename T>
__device__ T block_scan(T v, T* warp_sums) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int o = 1; o < 32; o <<= 1) {
        const T n = __shfl_up_sync(0xffffffffu, v, o);
        if (lane >= o) v += n;
    }
    if (lane == 31) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T s = lane < (int)(blockDim.x >> 5) ? warp_sums[lane] : (T)0;
        for (int o = 1; o < 32; o <<= 1) {
            const T n = __shfl_up_sync(0xffffffffu, s, o);
            if (lane >= o) s += n;
        }
        warp_sums[lane] = s;
    }
    __syncthreads();
    if (warp > 0) v += warp_sums[warp - 1];
    __syncthreads();  // warp_sums is reused by the next call
    return v;
}

// a beats b: larger gain, or equal gain earlier in scan order.
__device__ __forceinline__ bool better(double ga, int oa, double gb, int ob) {
    return ga > gb || (ga == gb && oa < ob);
}

// Best (gain, bin, default_left) of one feature of one node into o[0..2], as the CPU's
// _scan_scalar / _scan_vector find it: candidates in scan order bin by bin, "missing right"
// (order 2b) before "missing left" (2b + 1), the first best kept. One block per call.
// hist: the feature's (n_bins_total, K, 2) histogram; tot: the node's G[K], H[K]; C: its rows;
// nb: the feature's value bins; allowed: whether the node may split on it.
__device__ void scan_feature(const double* hist, const double* tot, double C, bool allowed,
                             int nb, int n_bins_total, int K, const double* sp, double* o) {
    extern __shared__ double smem[];  // carry[2K], warp sums[32], reduction scratch
    double* carry = smem;
    double* warp_sums = smem + 2 * K;
    double* red_gain = warp_sums + 32;
    double* red_hl = red_gain + 32;
    int* red_order = (int*)(red_hl + 32);
    if (!allowed) {
        if (threadIdx.x == 0) { o[0] = -GBT_INF; o[1] = -1.0; o[2] = 0.0; }
        return;
    }
    const double lam = sp[0], alpha = sp[1], gamma = sp[2], mcw = sp[3], mcs = sp[4],
                 mds = sp[5];
    const int miss = n_bins_total - 1;
    double H_sum = 0.0, parent = 0.0, hm_sum = 0.0;
    bool has_missing = false;
    for (int k = 0; k < K; ++k) {
        H_sum += tot[K + k];
        parent += node_score(tot[k], tot[K + k], lam, alpha, mds);
        const double gm = hist[(miss * K + k) * 2], hm = hist[(miss * K + k) * 2 + 1];
        has_missing = has_missing || gm != 0.0 || hm != 0.0;
        hm_sum += hm;
    }
    const double per_h = H_sum > 0.0 ? C / H_sum : 0.0;
    const int last = has_missing ? nb : nb - 1;
    const int n_left_cand = has_missing ? min(last, nb - 1) : 0;
    const double min_gain = gamma > 0.0 ? gamma : 0.0;
    if (threadIdx.x < 2 * K) carry[threadIdx.x] = 0.0;
    __syncthreads();

    double best_gain = min_gain, best_hl = 0.0;
    int best_order = 0x7fffffff;
    for (int tile = 0; tile < last; tile += blockDim.x) {
        const int b = tile + threadIdx.x;
        const bool valid = b < last;
        double gain_r = 0.0, gain_l = 0.0, hl_sum = 0.0;
        for (int k = 0; k < K; ++k) {
            const double g = valid ? hist[(b * K + k) * 2] : 0.0;
            const double h = valid ? hist[(b * K + k) * 2 + 1] : 0.0;
            const double pg = block_scan(g, warp_sums) + carry[2 * k];
            const double ph = block_scan(h, warp_sums) + carry[2 * k + 1];
            __syncthreads();
            if (threadIdx.x == blockDim.x - 1) { carry[2 * k] = pg; carry[2 * k + 1] = ph; }
            __syncthreads();
            const double Gk = tot[k], Hk = tot[K + k];
            hl_sum += ph;
            gain_r += children_score(pg, ph, Gk, Hk, lam, alpha, mds);
            if (n_left_cand > 0) {
                const double gm = hist[(miss * K + k) * 2], hm = hist[(miss * K + k) * 2 + 1];
                gain_l += children_score(pg + gm, ph + hm, Gk, Hk, lam, alpha, mds);
            }
        }
        if (valid) {
            const double g_r = sizes_ok(hl_sum, H_sum - hl_sum, C, per_h, mcw, mcs)
                               ? gain_r - parent : -GBT_INF;
            if (g_r > best_gain) { best_gain = g_r; best_order = 2 * b; best_hl = hl_sum; }
            if (b < n_left_cand) {
                const double left_h = hl_sum + hm_sum;
                const double g_l = sizes_ok(left_h, H_sum - left_h, C, per_h, mcw, mcs)
                                   ? gain_l - parent : -GBT_INF;
                if (g_l > best_gain) { best_gain = g_l; best_order = 2 * b + 1; best_hl = hl_sum; }
            }
        }
    }
    // Block reduction of (gain, order): warps by shuffles, then warp 0 over the warps.
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int s = 16; s > 0; s >>= 1) {
        const double g2 = __shfl_down_sync(0xffffffffu, best_gain, s);
        const int o2 = __shfl_down_sync(0xffffffffu, best_order, s);
        const double h2 = __shfl_down_sync(0xffffffffu, best_hl, s);
        if (better(g2, o2, best_gain, best_order)) { best_gain = g2; best_order = o2; best_hl = h2; }
    }
    if (lane == 0) { red_gain[warp] = best_gain; red_order[warp] = best_order; red_hl[warp] = best_hl; }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < (int)(blockDim.x >> 5); ++w) {
            if (better(red_gain[w], red_order[w], best_gain, best_order)) {
                best_gain = red_gain[w]; best_order = red_order[w]; best_hl = red_hl[w];
            }
        }
        if (best_order == 0x7fffffff) {
            o[0] = -GBT_INF; o[1] = -1.0; o[2] = 0.0;
        } else {
            const int b = best_order >> 1;
            bool dl = (best_order & 1) != 0;
            if (!has_missing) dl = best_hl >= H_sum - best_hl;  // unseen missing: more hessian
            o[0] = best_gain; o[1] = (double)b; o[2] = dl ? 1.0 : 0.0;
        }
    }
}

// scan_feature for feature blockIdx.y of node blockIdx.x of a batch.
// totals: (m, 2K + 1) G[K], H[K], row count.  out: (m, n_features, 3).
__global__ void scan_features(const double* pool, const double* slots, const double* totals,
                              const unsigned char* masks, const double* mask_row,
                              const int* n_bins, int n_features, int n_bins_total, int K,
                              const double* sp, double* out) {
    const int node = blockIdx.x, f = blockIdx.y;
    const double* tot = totals + (long long)node * (2 * K + 1);
    // indices travel as doubles
    const bool allowed = masks[(long long)mask_row[node] * n_features + f] != 0;
    scan_feature(pool + ((long long)slots[node] * n_features + f) * n_bins_total * K * 2, tot,
                 tot[2 * K], allowed, n_bins[f], n_bins_total, K, sp,
                 out + ((long long)node * n_features + f) * 3);
}

// The best feature in feature order (a later feature must beat the best so far by the
// relative margin tie_rtol, as split._beats), then the split row o = (gain, feature, bin,
// default_left, G_left[K], H_left[K]) with the left sums of the best feature's bins up to the
// split bin (and the missing bin when it goes left), as split._write_split sums them; the
// bins are summed across the lanes of one warp, which calls this together.
// per_feature: the node's (n_features, 3) scan_feature results; hist: the node's
// (n_features, n_bins_total, K, 2) histogram.
__device__ void select_split(const double* per_feature, const double* hist, int n_features,
                             int n_bins_total, int K, const double* sp, double tie_rtol,
                             double* o) {
    const int lane = threadIdx.x & 31;
    const double gamma = sp[2];
    const double min_gain = gamma > 0.0 ? gamma : 0.0;
    double best = min_gain;
    int best_f = -1;
    for (int f = 0; f < n_features; ++f) {
        const double* pf = per_feature + f * 3;
        if (pf[1] >= 0.0 && pf[0] > best + tie_rtol * fabs(best)) { best = pf[0]; best_f = f; }
    }
    for (int j = lane; j < 4 + 2 * K; j += 32) o[j] = 0.0;
    __syncwarp();
    if (best_f < 0) {
        if (lane == 0) { o[0] = min_gain; o[1] = -1.0; o[2] = -1.0; }
        return;
    }
    const double* pf = per_feature + best_f * 3;
    const int b = (int)pf[1];
    const bool dl = pf[2] > 0.0;
    const double* fh = hist + (long long)best_f * n_bins_total * K * 2;
    const int miss = n_bins_total - 1;
    for (int k = 0; k < K; ++k) {
        double g = 0.0, h = 0.0;
        for (int bb = lane; bb <= b; bb += 32) {
            g += fh[(bb * K + k) * 2];
            h += fh[(bb * K + k) * 2 + 1];
        }
        for (int s = 16; s > 0; s >>= 1) {
            g += __shfl_xor_sync(0xffffffffu, g, s);
            h += __shfl_xor_sync(0xffffffffu, h, s);
        }
        if (dl) { g += fh[(miss * K + k) * 2]; h += fh[(miss * K + k) * 2 + 1]; }
        if (lane == 0) { o[4 + k] = g; o[4 + K + k] = h; }
    }
    if (lane == 0) { o[0] = best; o[1] = best_f; o[2] = b; o[3] = dl ? 1.0 : 0.0; }
}

// One warp (block of 32) per node of a batch: select_split.  per_feature: (m, n_features, 3);
// out: (m, 4 + 2K).
__global__ void select_splits(const double* per_feature, const double* pool, const double* slots,
                              int m, int n_features, int n_bins_total, int K,
                              const double* sp, double tie_rtol, double* out) {
    const int node = blockIdx.x;
    if (node >= m) return;
    select_split(per_feature + (long long)node * n_features * 3,
                 pool + (long long)slots[node] * n_features * n_bins_total * K * 2, n_features,
                 n_bins_total, K, sp, tie_rtol, out + (long long)node * (4 + 2 * K));
}

// ---------------------------------------------------------------- partition
// A batch of segments rows[seg_start[j]:seg_end[j]] is cut into blocks of positions
// [blk_lo[b], blk_hi[b]) inside segment blk_seg[b]; seg_first_blk[j] and seg_n_blk[j] give
// each segment's blocks. Three launches: flags and left counts per block; stable placement
// (left rows first, in order, then right rows) into rows_tmp; copy back.

__device__ __forceinline__ long long block_sum(long long v, long long* scratch) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    long long total = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); ++w) total += scratch[w];
    return total;
}

// Left rows of a segment's partition blocks before block b (*before) and in all of them
// (*total): block b's place in the segment's left and right parts. Every thread of the block
// calls it.
__device__ __forceinline__ void segment_left_counts(const long long* blk_count, long long first,
                                                    long long n_blk, long long b,
                                                    long long* scratch, long long* before,
                                                    long long* total) {
    long long in_before = 0, in_total = 0;
    for (long long i = threadIdx.x; i < n_blk; i += blockDim.x) {
        const long long c = blk_count[first + i];
        in_total += c;
        if (first + i < b) in_before += c;
    }
    *before = block_sum(in_before, scratch);
    *total = block_sum(in_total, scratch);
}

template <typename BinT>
__global__ void partition_count(const BinT* X, int n_features, const int* rows,
                                const long long* blk_seg, const long long* blk_lo,
                                const long long* blk_hi, const long long* feature,
                                const long long* threshold_bin, const long long* default_left,
                                int missing_bin, int* flags, long long* blk_count) {
    __shared__ long long scratch[32];
    const int b = blockIdx.x;
    const long long j = blk_seg[b];
    const long long f = feature[j], t = threshold_bin[j];
    const int dl = (int)default_left[j];
    long long count = 0;
    for (long long pos = blk_lo[b] + threadIdx.x; pos < blk_hi[b]; pos += blockDim.x) {
        const int bin = (int)X[(long long)rows[pos] * n_features + f];
        const int fl = bin == missing_bin ? dl : (int)(bin <= t);
        flags[pos] = fl;
        count += fl;
    }
    count = block_sum(count, scratch);
    if (threadIdx.x == 0) blk_count[b] = count;
}

__global__ void partition_place(const int* rows, const long long* blk_seg,
                                const long long* blk_lo, const long long* blk_hi,
                                const long long* seg_start, const long long* seg_first_blk,
                                const long long* seg_n_blk, const int* flags,
                                const long long* blk_count, int* rows_tmp,
                                long long* seg_left) {
    __shared__ long long scratch[32];
    __shared__ int warp_sums[32];
    const int b = blockIdx.x;
    const long long j = blk_seg[b], lo = blk_lo[b], hi = blk_hi[b], start = seg_start[j];
    const long long first = seg_first_blk[j], n_blk = seg_n_blk[j];
    long long before, total;
    segment_left_counts(blk_count, first, n_blk, b, scratch, &before, &total);
    if (b == first && threadIdx.x == 0) seg_left[j] = total;
    long long left_done = before, right_done = (lo - start) - before;
    for (long long chunk = lo; chunk < hi; chunk += blockDim.x) {
        const long long pos = chunk + threadIdx.x;
        const int fl = pos < hi ? flags[pos] : 0;
        const int incl = block_scan(fl, warp_sums);
        const int excl = incl - fl;
        if (pos < hi) {
            const long long dest = fl ? start + left_done + excl
                                      : start + total + right_done + (threadIdx.x - excl);
            rows_tmp[dest] = rows[pos];
        }
        __shared__ int chunk_left;
        if (threadIdx.x == blockDim.x - 1) chunk_left = incl;
        __syncthreads();
        const long long n = min((long long)blockDim.x, hi - chunk);
        left_done += chunk_left;
        right_done += n - chunk_left;
        __syncthreads();
    }
}

__global__ void copy_blocks(const int* src, const long long* blk_lo, const long long* blk_hi,
                            int* dst) {
    const int b = blockIdx.x;
    for (long long pos = blk_lo[b] + threadIdx.x; pos < blk_hi[b]; pos += blockDim.x)
        dst[pos] = src[pos];
}

// The leaf segments, sorted by start, cover [0, n_pos): the one holding position t.
__device__ __forceinline__ int segment_of(const long long* seg_off, int m, long long t) {
    int lo = 0, hi = m;  // last j with seg_off[j] <= t
    while (hi - lo > 1) {
        const int mid = (lo + hi) >> 1;
        if (seg_off[mid] <= t) lo = mid; else hi = mid;
    }
    return lo;
}

// ---------------------------------------------------------------- margins and prediction

// out[rows[pos]] = leaf_id[j] for the leaf segment j holding position pos (segments sorted by
// start and covering [0, n_pos)).
__global__ void leaf_of_rows(const int* rows, long long n_pos, const long long* leaf_start,
                             const long long* leaf_id, int n_leaves, int* out) {
    const long long pos = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (pos >= n_pos) return;
    const int j = segment_of(leaf_start, n_leaves, pos);
    out[rows[pos]] = (int)leaf_id[j];
}

// out[r, first:first + width] += values[leaf_of_row[r]] for rows with a leaf.
__global__ void add_leaf_values(const int* leaf_of_row, long long n_rows, const double* values,
                                int width, int first_output, int n_outputs, double* out) {
    const long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (r >= n_rows) return;
    const int node = leaf_of_row[r];
    if (node < 0) return;
    for (int j = 0; j < width; ++j) out[r * n_outputs + first_output + j] += values[node * width + j];
}

template <typename BinT>
__global__ void predict_binned_tree(const BinT* X, int n_features, const int* feature,
                                    const int* threshold_bin, const unsigned char* default_left,
                                    const int* left, const int* right, const double* values,
                                    int width, int missing_bin, const int* rows, long long m,
                                    int first_output, int n_outputs, double* out) {
    const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= m) return;
    const long long r = rows[i];
    int node = 0;
    while (left[node] != -1) {
        const int b = (int)X[r * n_features + feature[node]];
        const bool go_left = b == missing_bin ? default_left[node] != 0 : b <= threshold_bin[node];
        node = go_left ? left[node] : right[node];
    }
    for (int j = 0; j < width; ++j) out[r * n_outputs + first_output + j] += values[node * width + j];
}

// One thread per row, every tree in turn (gbt/_native/cpu/predict.py::predict_raw).
// Each tree's nodes are 16-byte records laid out breadth-first, so that a node's two children
// are adjacent (CudaKernels.device_forest packs them):
//   split: x = threshold, lo word = feature | default_left << 31, hi word = left child (the
//          right child follows it);
//   leaf:  x = the leaf's value (one-output trees), lo word = -1, hi word = the leaf's node
//          index in `value` (vector leaves).
// With tile_stride > 0 the block's rows are first staged in shared memory, rows tile_stride
// values apart: coalesced loads, then cheap random reads during the walks. Measured on an H100,
// 1M rows x 500 trees of 255 leaves: 38 ms with five node arrays read from global memory,
// 27 ms with the tile, 12.5 ms with the tile and one 16-byte load per step.
template <typename FloatT>
__global__ void predict_raw(const FloatT* X, long long n_rows, int n_features, int tile_stride,
                            const double2* nodes, const double* value,
                            const long long* value_offsets, const long long* tree_offsets,
                            const int* tree_output, const int* tree_width, int n_trees,
                            int n_outputs, double* out) {
    extern __shared__ unsigned char predict_tile_raw[];
    const long long row0 = blockIdx.x * (long long)blockDim.x;
    const long long r = row0 + threadIdx.x;
    const FloatT* x = X + r * n_features;
    if (tile_stride > 0) {
        FloatT* tile = reinterpret_cast<FloatT*>(predict_tile_raw);
        const long long rest = n_rows - row0;
        const int rows_here = rest < blockDim.x ? (int)rest : (int)blockDim.x;
        const FloatT* src = X + row0 * n_features;
        for (int i = threadIdx.x; i < rows_here * n_features; i += blockDim.x) {
            const int row = i / n_features;
            tile[row * tile_stride + (i - row * n_features)] = src[i];
        }
        __syncthreads();
        x = tile + threadIdx.x * tile_stride;
    }
    if (r >= n_rows) return;
    double single = 0.0;  // one output: accumulate in a register
    for (int t = 0; t < n_trees; ++t) {
        const double2* tree = nodes + tree_offsets[t];
        double2 node = __ldg(tree);
        int meta = __double2loint(node.y);
        while (meta != -1) {
            const double v = (double)x[meta & 0x7fffffff];
            const bool go_left = isnan(v) ? meta < 0 : v <= node.x;
            node = __ldg(tree + __double2hiint(node.y) + (go_left ? 0 : 1));
            meta = __double2loint(node.y);
        }
        const int width = tree_width[t];
        if (n_outputs == 1) {
            single += node.x;
        } else if (width == 1) {
            out[r * n_outputs + tree_output[t]] += node.x;
        } else {
            const long long first = value_offsets[t] + (long long)__double2hiint(node.y) * width;
            for (int j = 0; j < width; ++j) out[r * n_outputs + tree_output[t] + j] += value[first + j];
        }
    }
    if (n_outputs == 1) out[r] += single;
}

// ---------------------------------------------------------------- objectives

// Multi-class cross-entropy (gbt/_native/cpu/objectives.py::softmax_grad_hess).
__global__ void softmax_grad_hess(const double* raw, const double* label, const double* weight,
                                  int has_weight, long long n, int K, float* out_g,
                                  float* out_h) {
    const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    const double* x = raw + i * K;
    double top = x[0];
    for (int k = 1; k < K; ++k) top = fmax(top, x[k]);
    double total = 0.0;
    for (int k = 0; k < K; ++k) total += exp(x[k] - top);
    const double w = has_weight ? weight[i] : 1.0;
    const int y = (int)label[i];
    const double factor = K > 1 ? K / (K - 1.0) : 1.0;  // LightGBM's hessian (see the CPU's)
    for (int k = 0; k < K; ++k) {
        const double p = exp(x[k] - top) / total;
        out_h[i * K + k] = (float)(w * fmax(factor * p * (1.0 - p), 1e-16));
        out_g[i * K + k] = (float)(w * (k == y ? p - 1.0 : p));
    }
}
