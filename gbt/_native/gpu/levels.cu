// Kernels of the device-resident depthwise level loop (gbt/_native/gpu/levels.py); compiled
// in one module after kernels.cu, whose helpers they use.
//
// The tree's tables live on the device, in the CPU kernel's layout:
//   node_int   (cap_nodes, 7) int64: feature, bin, default_left, left, right, start, end
//   node_float (cap_nodes, 1 + 2K) float64: gain, G[K], H[K]
//   best       (cap_nodes, 4 + 2K) float64: an open leaf's best split row (feature -1: none)
// and `counters` (int64, the C_* indices) hold the loop's state, so no launch needs the host
// to read anything back: grids are sized for the most work a level can have, and blocks
// beyond the level's actual work return at once. A level's nodes are a contiguous range of
// node ids (the children of the batch above, left then right in batch order); their
// histograms sit in the level's buffer at position (node - first node of the level).

#define C_N_NODES 0
#define C_N_LEAVES 1
#define C_LEVEL_FIRST 2   // first node of the level being evaluated / split next
#define C_LEVEL_COUNT 3   // its nodes
#define C_PARENT_FIRST 4  // first node of the level above it
#define C_N_BATCH 5       // nodes split by the last level_plan_splits
#define C_PART_BLOCKS 6   // partition blocks of that batch
#define C_N_HIST 7        // histograms to build (the root, or one per pair of children)
#define C_N_SCAN 8        // nodes whose best splits to find

#define NI_FEATURE 0
#define NI_BIN 1
#define NI_DEFAULT_LEFT 2
#define NI_LEFT 3
#define NI_RIGHT 4
#define NI_START 5
#define NI_END 6
#define N_NI 7

// gbt/_native/cpu/grow.py::_can_split
__device__ __forceinline__ bool can_split(int depth, long long count, double H, int max_depth,
                                          double mcw, double mcs) {
    if (max_depth > 0 && depth >= max_depth) return false;
    return (double)count >= 2.0 * mcs && H >= 2.0 * mcw;
}

__device__ __forceinline__ double hessian_sum(const double* node_float_row, int K) {
    double H = 0.0;
    for (int k = 0; k < K; ++k) H += node_float_row[1 + K + k];
    return H;
}

// Exclusive prefix sum of v over the block, continued across a loop of chunks: *carry (shared,
// zeroed before the loop) holds the total of the chunks done.
__device__ __forceinline__ long long chunk_scan(long long v, long long* warp_sums,
                                                long long* carry) {
    const long long incl = block_scan(v, warp_sums);
    const long long out = *carry + incl - v;
    __syncthreads();
    if (threadIdx.x == blockDim.x - 1) *carry += incl;
    __syncthreads();
    return out;
}

// ---------------------------------------------------------------- the root

// The root as a one-node level of rows [0, m): its tables and its histogram plan.
__global__ void level_start(long long* counters, long long* node_int, double* best, long long m,
                            long long* hist_node, long long* hist_pos, long long* hist_first) {
    for (int j = 0; j < N_NI; ++j) node_int[j] = -1;
    node_int[NI_DEFAULT_LEFT] = 0;
    node_int[NI_START] = 0;
    node_int[NI_END] = m;
    best[1] = -1.0;
    hist_node[0] = 0;
    hist_pos[0] = 0;
    hist_first[0] = 0;
    hist_first[1] = m;
    counters[C_N_NODES] = 1;
    counters[C_N_LEAVES] = 1;
    counters[C_LEVEL_FIRST] = 0;
    counters[C_LEVEL_COUNT] = 1;
    counters[C_PARENT_FIRST] = 0;
    counters[C_N_BATCH] = 0;
    counters[C_PART_BLOCKS] = 0;
    counters[C_N_HIST] = 1;
    counters[C_N_SCAN] = 0;
}

// The root's sums from its histogram (every row is in one bin of feature 0), and whether
// its split is searched.
__global__ void level_open_root(long long* counters, const long long* node_int,
                                double* node_float, const double* hist, int n_bins_total, int K,
                                const double* sp, int max_depth, long long* scan_nodes) {
    for (int j = threadIdx.x; j < 2 * K; j += blockDim.x) {
        const int k = j % K, c = j / K;  // c = 0: G, 1: H
        double s = 0.0;
        for (int b = 0; b < n_bins_total; ++b) s += hist[(b * K + k) * 2 + c];
        node_float[1 + j] = s;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        node_float[0] = 0.0;
        const bool ok = can_split(0, node_int[NI_END] - node_int[NI_START],
                                  hessian_sum(node_float, K), max_depth, sp[3], sp[4]);
        scan_nodes[0] = 0;
        counters[C_N_SCAN] = ok ? 1 : 0;
    }
}

// ---------------------------------------------------------------- splitting a level

// The batch: the level's nodes that have a split, in node-id order, as far as the leaf budget
// goes (one block). Writes the batch's split into their tables, numbers their children (the
// next 2B node ids, left then right in batch order) and cuts their rows into partition blocks
// of part_rows (part_first[r]: first block of batch entry r).
__global__ void level_plan_splits(long long* counters, long long* node_int, double* node_float,
                                  const double* best, int K, int max_leaves,
                                  long long part_rows, long long* batch, long long* part_first) {
    __shared__ long long warp_sums[32];
    __shared__ long long n_open, n_blocks;
    const long long first = counters[C_LEVEL_FIRST], count = counters[C_LEVEL_COUNT];
    const long long n_nodes = counters[C_N_NODES], n_leaves = counters[C_N_LEAVES];
    const long long budget = max_leaves > 0 ? max_leaves - n_leaves : count;
    const int fw = 1 + 2 * K, bw = 4 + 2 * K;
    if (threadIdx.x == 0) { n_open = 0; n_blocks = 0; }
    __syncthreads();
    for (long long base = 0; base < count; base += blockDim.x) {
        const long long node = first + base + threadIdx.x;
        const bool open = base + threadIdx.x < count && best[node * bw + 1] >= 0.0;
        const long long rank = chunk_scan(open ? 1 : 0, warp_sums, &n_open);
        const bool take = open && rank < budget;
        long long blocks = 0;
        if (take) {
            const long long* ni = node_int + node * N_NI;
            blocks = max(1LL, (ni[NI_END] - ni[NI_START] + part_rows - 1) / part_rows);
        }
        const long long first_block = chunk_scan(blocks, warp_sums, &n_blocks);
        if (take) {
            const double* b = best + node * bw;
            long long* ni = node_int + node * N_NI;
            ni[NI_FEATURE] = (long long)b[1];
            ni[NI_BIN] = (long long)b[2];
            ni[NI_DEFAULT_LEFT] = b[3] > 0.0 ? 1 : 0;
            ni[NI_LEFT] = n_nodes + 2 * rank;
            ni[NI_RIGHT] = n_nodes + 2 * rank + 1;
            node_float[node * fw] = b[0];
            batch[rank] = node;
            part_first[rank] = first_block;
        }
    }
    if (threadIdx.x == 0) {
        const long long B = min(n_open, budget);
        part_first[B] = n_blocks;
        counters[C_N_BATCH] = B;
        counters[C_PART_BLOCKS] = n_blocks;
        counters[C_N_LEAVES] = n_leaves + B;
        counters[C_PARENT_FIRST] = first;
        counters[C_LEVEL_FIRST] = n_nodes;
        counters[C_LEVEL_COUNT] = 2 * B;
        counters[C_N_NODES] = n_nodes + 2 * B;
    }
}

// Partition block b of the batch: rows[lo:hi] of batch entry r (node `node`).
__device__ __forceinline__ bool batch_block(long long b, const long long* counters,
                                            const long long* batch, const long long* part_first,
                                            const long long* node_int, long long part_rows,
                                            int* r, long long* node, long long* lo,
                                            long long* hi) {
    if (b >= counters[C_PART_BLOCKS]) return false;
    *r = segment_of(part_first, (int)counters[C_N_BATCH], b);
    *node = batch[*r];
    const long long* ni = node_int + *node * N_NI;
    *lo = ni[NI_START] + (b - part_first[*r]) * part_rows;
    *hi = min(*lo + part_rows, ni[NI_END]);
    return true;
}

// flags[pos] = row goes left, and each block's count of those (as partition_count). Reads
// the feature-major bins X_T (n_features, n_rows): a segment's rows are in increasing order,
// so a warp reads a few neighbouring bytes rather than one byte of 32 rows each.
template <typename BinT>
__global__ void level_partition_count(const BinT* X_T, long long n_rows, const int* rows,
                                      const long long* counters, const long long* batch,
                                      const long long* part_first, const long long* node_int,
                                      long long part_rows, int missing_bin, int* flags,
                                      long long* blk_count) {
    __shared__ long long scratch[32];
    int r;
    long long node, lo, hi;
    if (!batch_block(blockIdx.x, counters, batch, part_first, node_int, part_rows, &r, &node,
                     &lo, &hi)) return;
    const long long* ni = node_int + node * N_NI;
    const long long f = ni[NI_FEATURE], t = ni[NI_BIN];
    const int dl = (int)ni[NI_DEFAULT_LEFT];
    long long count = 0;
    for (long long pos = lo + threadIdx.x; pos < hi; pos += blockDim.x) {
        const int bin = (int)X_T[f * n_rows + rows[pos]];
        const int fl = bin == missing_bin ? dl : (int)(bin <= t);
        flags[pos] = fl;
        count += fl;
    }
    count = block_sum(count, scratch);
    if (threadIdx.x == 0) blk_count[blockIdx.x] = count;
}

// A split node's two children: rows [start, mid) and [mid, end), sums from its split row
// (left) and by difference (right), no split yet.
__device__ void open_children(long long node, long long mid, long long* node_int,
                              double* node_float, double* best, int K) {
    const int fw = 1 + 2 * K, bw = 4 + 2 * K;
    const long long* ni = node_int + node * N_NI;
    const long long left = ni[NI_LEFT];
    const long long bounds[3] = {ni[NI_START], mid, ni[NI_END]};
    for (int c = 0; c < 2; ++c) {
        long long* ci = node_int + (left + c) * N_NI;
        for (int j = 0; j < N_NI; ++j) ci[j] = -1;
        ci[NI_DEFAULT_LEFT] = 0;
        ci[NI_START] = bounds[c];
        ci[NI_END] = bounds[c + 1];
        node_float[(left + c) * fw] = 0.0;
        best[(left + c) * bw + 1] = -1.0;
    }
    const double* split = best + node * bw + 4;
    const double* parent = node_float + node * fw + 1;
    double* lf = node_float + left * fw + 1;
    double* rf = lf + fw;
    for (int j = 0; j < 2 * K; ++j) {
        lf[j] = split[j];
        rf[j] = parent[j] - split[j];
    }
}

// Stable placement of each block's rows into rows_tmp (left rows first, then right; as
// partition_place, with one barrier per chunk: ballots count the left rows of each warp),
// each row's leaf set to its child, and the children's tables (by the first block of each
// batch entry). Positions outside the batch are not written: they hold finished leaves,
// which no later level reads (the caller swaps rows and rows_tmp).
__global__ void level_partition_place(const int* rows, const long long* counters,
                                      const long long* batch, const long long* part_first,
                                      long long* node_int, double* node_float, double* best,
                                      int K, long long part_rows, const int* flags,
                                      const long long* blk_count, int* rows_tmp,
                                      int* leaf_of_row) {
    __shared__ long long scratch[32];
    __shared__ int warp_left[2][32];  // left rows of each warp in a chunk, by chunk parity
    int r;
    long long node, lo, hi;
    const long long b = blockIdx.x;
    if (!batch_block(b, counters, batch, part_first, node_int, part_rows, &r, &node, &lo, &hi))
        return;
    const long long start = node_int[node * N_NI + NI_START];
    const int left = (int)node_int[node * N_NI + NI_LEFT];
    const long long first = part_first[r], n_blk = part_first[r + 1] - first;
    long long before, total;
    segment_left_counts(blk_count, first, n_blk, b, scratch, &before, &total);
    if (b == first && threadIdx.x == 0) open_children(node, start + total, node_int, node_float,
                                                      best, K);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, n_warps = blockDim.x >> 5;
    long long left_done = before, right_done = (lo - start) - before;
    int parity = 0;
    for (long long chunk = lo; chunk < hi; chunk += blockDim.x, parity ^= 1) {
        const long long pos = chunk + threadIdx.x;
        const int fl = pos < hi ? flags[pos] : 0;
        const unsigned mask = __ballot_sync(0xffffffffu, fl);
        if (lane == 0) warp_left[parity][warp] = __popc(mask);
        __syncthreads();
        int excl = __popc(mask & ((1u << lane) - 1u)), chunk_left = 0;
        for (int w = 0; w < n_warps; ++w) {
            const int c = warp_left[parity][w];
            chunk_left += c;
            if (w < warp) excl += c;
        }
        if (pos < hi) {
            const long long dest = fl ? start + left_done + excl
                                      : start + total + right_done + (threadIdx.x - excl);
            const int row = rows[pos];
            rows_tmp[dest] = row;
            leaf_of_row[row] = fl ? left : left + 1;
        }
        left_done += chunk_left;
        right_done += min((long long)blockDim.x, hi - chunk) - chunk_left;
    }
}

// ---------------------------------------------------------------- evaluating the children

struct ChildPair {
    long long left, small, large, small_rows;
    bool eval_left, eval_right;
};

// Batch entry r's children: which may split (depth, size, hessian and leaf budget), and which
// is the smaller (left on ties), whose histogram is built; the larger's is parent - smaller.
__device__ __forceinline__ ChildPair child_pair(long long r, long long first,
                                                const long long* node_int,
                                                const double* node_float, int K,
                                                const double* sp, int child_depth,
                                                int max_depth, bool budget_left) {
    ChildPair p;
    p.left = first + 2 * r;
    const long long* li = node_int + p.left * N_NI;
    const long long* ri = li + N_NI;
    const long long n_left = li[NI_END] - li[NI_START], n_right = ri[NI_END] - ri[NI_START];
    const int fw = 1 + 2 * K;
    p.eval_left = budget_left && can_split(child_depth, n_left,
                                           hessian_sum(node_float + p.left * fw, K), max_depth,
                                           sp[3], sp[4]);
    p.eval_right = budget_left && can_split(child_depth, n_right,
                                            hessian_sum(node_float + (p.left + 1) * fw, K),
                                            max_depth, sp[3], sp[4]);
    const bool small_is_left = n_left <= n_right;
    p.small = small_is_left ? p.left : p.left + 1;
    p.large = small_is_left ? p.left + 1 : p.left;
    p.small_rows = small_is_left ? n_left : n_right;
    return p;
}

// The children's histogram plan (one per pair where either child may split: the smaller
// built from rows, the larger by subtraction; hist_first[q]: rows of the plan before q) and
// the list of children to scan (one block).
__global__ void level_plan_children(long long* counters, const long long* node_int,
                                    const double* node_float, const long long* batch, int K,
                                    const double* sp, int child_depth, int max_depth,
                                    int max_leaves, long long* hist_node, long long* hist_pos,
                                    long long* hist_first, long long* sub_parent_pos,
                                    long long* sub_large_pos, long long* scan_nodes) {
    __shared__ long long warp_sums[32];
    __shared__ long long n_hist, n_rows, n_scan;
    const long long B = counters[C_N_BATCH], first = counters[C_LEVEL_FIRST];
    const long long parent_first = counters[C_PARENT_FIRST];
    const bool budget_left = max_leaves <= 0 || counters[C_N_LEAVES] < max_leaves;
    if (threadIdx.x == 0) { n_hist = 0; n_rows = 0; n_scan = 0; }
    __syncthreads();
    for (long long base = 0; base < B; base += blockDim.x) {
        const long long r = base + threadIdx.x;
        ChildPair p = {};
        if (r < B) p = child_pair(r, first, node_int, node_float, K, sp, child_depth,
                                  max_depth, budget_left);
        const bool need = p.eval_left || p.eval_right;
        const long long q = chunk_scan(need ? 1 : 0, warp_sums, &n_hist);
        const long long rows_before = chunk_scan(need ? p.small_rows : 0, warp_sums, &n_rows);
        const long long s = chunk_scan((long long)p.eval_left + (long long)p.eval_right,
                                       warp_sums, &n_scan);
        if (need) {
            hist_node[q] = p.small;
            hist_pos[q] = p.small - first;
            hist_first[q] = rows_before;
            sub_parent_pos[q] = batch[r] - parent_first;
            sub_large_pos[q] = p.large - first;
        }
        if (p.eval_left) scan_nodes[s] = p.left;
        if (p.eval_right) scan_nodes[s + (p.eval_left ? 1 : 0)] = p.left + 1;
    }
    if (threadIdx.x == 0) {
        hist_first[n_hist] = n_rows;
        counters[C_N_HIST] = n_hist;
        counters[C_N_SCAN] = n_scan;
    }
}

// out[hist_pos[q]] = 0 for the histograms the level builds (slot_size doubles each).
__global__ void level_zero_hist(const long long* counters, const long long* hist_pos,
                                long long slot_size, double* out) {
    const long long total = counters[C_N_HIST] * slot_size;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        const long long q = t / slot_size;
        out[hist_pos[q] * slot_size + (t - q * slot_size)] = 0.0;
    }
}

// The histograms of the level's plan: segment q is the rows of node hist_node[q], added into
// out[hist_pos[q]]. Block x takes an equal share of the plan's rows (a run of whole or partial
// segments, hist_first giving their offsets) for the features of tile blockIdx.y, so one wave
// of blocks covers the level, each flushing its shared tile once per segment it touches.
template <typename BinT>
__global__ void level_build_hist(const BinT* X, int n_features, const float* gh, int K,
                                 const int* rows, const long long* counters,
                                 const long long* node_int, const long long* hist_node,
                                 const long long* hist_pos, const long long* hist_first,
                                 int n_bins_total, int f_tile, int use_shared, double* out) {
    extern __shared__ double sh[];
    const int f0 = blockIdx.y * f_tile;
    const int nf = min(f_tile, n_features - f0);
    const int n_seg = (int)counters[C_N_HIST];
    const long long total = hist_first[n_seg];
    const long long share = (total + gridDim.x - 1) / gridDim.x;
    long long lo = blockIdx.x * share;
    const long long hi = min(lo + share, total);
    if (nf <= 0 || lo >= hi) return;  // uniform over the block
    const long long slot_size = (long long)n_features * n_bins_total * K * 2;
    for (int q = segment_of(hist_first, n_seg, lo); lo < hi; ++q) {
        const long long seg_hi = min(hi, hist_first[q + 1]);
        if (seg_hi > lo) {
            const long long start = node_int[hist_node[q] * N_NI + NI_START] - hist_first[q];
            add_rows_to_hist(X, n_features, gh, K, rows, start + lo, start + seg_hi, f0, nf,
                             n_bins_total, use_shared, out + hist_pos[q] * slot_size, sh);
            lo = seg_hi;
        }
    }
}

// The larger children: hist[sub_large_pos[q]] = parent_hist[sub_parent_pos[q]] - hist[hist_pos[q]].
__global__ void level_subtract(const long long* counters, const long long* hist_pos,
                               const long long* sub_parent_pos, const long long* sub_large_pos,
                               const double* parent_hist, long long slot_size, double* hist) {
    const long long total = counters[C_N_HIST] * slot_size;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        const long long q = t / slot_size;
        const long long j = t - q * slot_size;
        hist[sub_large_pos[q] * slot_size + j] =
            parent_hist[sub_parent_pos[q] * slot_size + j] - hist[hist_pos[q] * slot_size + j];
    }
}

// scan_feature for every (scan entry, feature), a block each in turn (the grid is one wave).
// per_feature: (cap, n_features, 3).
__global__ void level_scan(const long long* counters, const long long* scan_nodes,
                           const long long* node_int, const double* node_float,
                           const double* hist, const unsigned char* masks, int per_node_masks,
                           const int* n_bins, int n_features, int n_bins_total, int K,
                           const double* sp, double* per_feature) {
    const long long n_tasks = counters[C_N_SCAN] * n_features;
    const long long first = counters[C_LEVEL_FIRST];
    for (long long task = blockIdx.x; task < n_tasks; task += gridDim.x) {
        const long long i = task / n_features;
        const int f = (int)(task - i * n_features);
        const long long node = scan_nodes[i];
        const long long* ni = node_int + node * N_NI;
        const bool allowed = masks[(per_node_masks ? node : 0) * n_features + f] != 0;
        scan_feature(hist + ((node - first) * n_features + f) * n_bins_total * K * 2,
                     node_float + node * (1 + 2 * K) + 1, (double)(ni[NI_END] - ni[NI_START]),
                     allowed, n_bins[f], n_bins_total, K, sp, per_feature + task * 3);
        __syncthreads();  // the next task reuses scan_feature's shared memory
    }
}

// One warp (block of 32) per scan entry: its best split row into best[node] (select_split).
__global__ void level_select(const long long* counters, const long long* scan_nodes,
                             const double* per_feature, const double* hist, int n_features,
                             int n_bins_total, int K, const double* sp, double tie_rtol,
                             double* best) {
    const long long i = blockIdx.x;
    if (i >= counters[C_N_SCAN]) return;
    const long long node = scan_nodes[i];
    const long long pos = node - counters[C_LEVEL_FIRST];
    select_split(per_feature + i * n_features * 3,
                 hist + pos * n_features * n_bins_total * K * 2, n_features, n_bins_total, K,
                 sp, tie_rtol, best + node * (4 + 2 * K));
}
