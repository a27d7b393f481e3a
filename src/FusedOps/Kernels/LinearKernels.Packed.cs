using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FusedOps.Kernels;

/// <summary>The Linear layer's inference with its epilogue on <see cref="PackedGemm"/>, and its backward products.</summary>
public static partial class LinearKernels
{
    /// <summary>W (out × in, PyTorch's layout) packed for <see cref="Infer{TAct}"/>: a new array, done once at <c>Freeze()</c>.</summary>
    /// <remarks>
    /// The array is pinned (the pinned object heap): <see cref="PackedGemm"/> starts the panels at a 64-byte boundary, and an
    /// array the GC could move would lose that alignment (a product on misaligned panels measured 9 % slower).
    /// </remarks>
    /// <param name="w">W, <paramref name="cols"/> rows of <paramref name="length"/> floats (BatchNorm already folded into its rows).</param>
    /// <param name="cols">Output features.</param>
    /// <param name="length">Input features.</param>
    public static float[] PackWeights(ReadOnlySpan<float> w, int cols, int length)
    {
        if (KernelWarmup.Active)
        {
            return GC.AllocateArray<float>(PackedGemm.PackedLength(length, cols), pinned: true); // the warm-up's zero weights
        }

        float[] packed = GC.AllocateUninitializedArray<float>(PackedGemm.PackedLength(length, cols), pinned: true);
        PackedGemm.PackTransposed(w, cols, length, packed);
        return packed;
    }

    /// <summary>
    /// <c>y[r·cols + o] = act(scale[o] · Σ_i x[r·length + i]·w[o·length + i] + shift[o])</c>: a Linear layer with
    /// its bias, BatchNorm and activation applied to each tile of y while it is in registers (one pass over y).
    /// </summary>
    /// <remarks>
    /// With <paramref name="packedW"/> from <see cref="PackWeights"/> (a frozen model) nothing is packed per call.
    /// With it empty (the unfrozen <c>Infer</c>, whose weights may change between calls), W is read as it is now:
    /// packed into a per-thread scratch from 8 rows, or, for fewer rows, multiplied by dot products and then finished
    /// in one elementwise pass. Never a packing kept from an earlier call, so an optimiser step is seen at once.
    /// </remarks>
    /// <typeparam name="TAct">The activation; the JIT specialises the kernel for it.</typeparam>
    /// <param name="act">The activation's state.</param>
    /// <param name="x">x[0]: <paramref name="rows"/> rows of <paramref name="length"/> floats.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="w">W as it is (out × in); read only when <paramref name="packedW"/> is empty.</param>
    /// <param name="packedW">W packed by <see cref="PackWeights"/>, or empty.</param>
    /// <param name="cols">Output features.</param>
    /// <param name="length">Input features.</param>
    /// <param name="y">y[0]: <paramref name="rows"/> rows of <paramref name="cols"/> floats.</param>
    /// <param name="scale">Per-feature factors (a BatchNorm's γ/σ; ones once folded), at least <paramref name="cols"/>.</param>
    /// <param name="shift">Per-feature offsets (the bias, or a BatchNorm's shift with the bias in it), at least <paramref name="cols"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Infer<TAct>(TAct act, ref float x, int rows, ReadOnlySpan<float> w, ReadOnlySpan<float> packedW, int cols, int length, ref float y,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift)
        where TAct : struct, IActivationOperator
    {
        // ReLU and the identity share one instantiation of everything below (ReluOrIdentityOperator); the JIT drops
        // whichever branch does not apply to TAct, so each of these two entries compiles to a forwarding call.
        if (typeof(TAct) == typeof(ReluOperator) || typeof(TAct) == typeof(IdentityOperator))
        {
            InferCore(new ReluOrIdentityOperator(typeof(TAct) == typeof(ReluOperator)), ref x, rows, w, packedW, cols, length, ref y, scale, shift);
        }
        else
        {
            InferCore(act, ref x, rows, w, packedW, cols, length, ref y, scale, shift);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InferCore<TAct>(TAct act, ref float x, int rows, ReadOnlySpan<float> w, ReadOnlySpan<float> packedW, int cols, int length, ref float y,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift)
        where TAct : struct, IActivationOperator
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckLength(scale.Length, cols, nameof(scale));
        CheckLength(shift.Length, cols, nameof(shift));
        ReadOnlySpan<float> xs = MemoryMarshal.CreateReadOnlySpan(ref x, rows * length);
        Span<float> ys = MemoryMarshal.CreateSpan(ref y, rows * cols);
        if (!packedW.IsEmpty)
        {
            PackedGemm.Multiply(act, xs, rows, length, length, 1, packedW, cols, ys, cols, scale, shift, accumulate: false);
            return;
        }

        CheckLength(w.Length, cols * length, nameof(w));
        if (PackScratch(rows, cols, length) is { } packed)
        {
            PackedGemm.PackTransposed(w, cols, length, packed);
            PackedGemm.Multiply(act, xs, rows, length, length, 1, packed, cols, ys, cols, scale, shift, accumulate: false);
            return;
        }

        if (rows == 0 || cols == 0)
        {
            return;
        }

        MatMulCore(ref x, rows, ref MemoryMarshal.GetReference(w), cols, length, ref y);
        ActivationPass.AffineForward(act, ref y, ref y, rows, cols, 1, ref MemoryMarshal.GetReference(scale), ref MemoryMarshal.GetReference(shift));
    }

    /// <summary>
    /// The input gradient <c>dx[r·length + i] = Σ_o dz[r·cols + o]·w[o·length + i]</c> (dX = dZ·W), overwriting dx:
    /// <see cref="Gemm.AxpyRows"/> on W as it is (measured faster than packing W per step for <see cref="PackedGemm"/>),
    /// its rows split over threads when large.
    /// </summary>
    /// <param name="dz">dZ[0]: <paramref name="rows"/> rows of <paramref name="cols"/> floats.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="w">W[0] (out × in).</param>
    /// <param name="cols">Output features (rows of W).</param>
    /// <param name="length">Input features.</param>
    /// <param name="dx">dX[0]: <paramref name="rows"/> rows of <paramref name="length"/> floats.</param>
    public static void InputGradient(ref float dz, int rows, ref float w, int cols, int length, ref float dx) =>
        AxpyRowsJob.Run(ref dz, cols, 1, ref w, length, rows, cols, length, ref dx, length, accumulate: false);

    /// <summary>
    /// The weight gradient <c>dw[o·length + i] += Σ_r dz[r·cols + o]·x[r·length + i]</c> (dW += dZᵀ·X):
    /// <see cref="Gemm.AxpyRows"/> with dZᵀ read in place, the rows of dW split over threads when large.
    /// </summary>
    /// <param name="dz">dZ[0]: <paramref name="rows"/> rows of <paramref name="cols"/> floats.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="x">X[0]: <paramref name="rows"/> rows of <paramref name="length"/> floats.</param>
    /// <param name="cols">Output features.</param>
    /// <param name="length">Input features.</param>
    /// <param name="dw">dW[0] (out × in), added to.</param>
    public static void WeightGradient(ref float dz, int rows, ref float x, int cols, int length, ref float dw) =>
        AxpyRowsJob.Run(ref dz, 1, cols, ref x, length, cols, rows, length, ref dw, length, accumulate: true);

    // The per-thread scratch for a B of `depth` rows and `cols` columns when packing pays (enough rows, not too large), else null.
    private static float[]? PackScratch(int rows, int cols, int depth)
    {
        if (rows < PackFromRows || (long)cols * depth > MaxPackedFloats)
        {
            return null;
        }

        // Pinned, so the panels PackedGemm aligns to 64 bytes stay aligned (see PackWeights).
        int length = PackedGemm.PackedLength(depth, cols);
        return t_packed is { } p && p.Length >= length ? p : (t_packed = GC.AllocateArray<float>(length, pinned: true));
    }

    private static void CheckLength(int actual, int needed, string name)
    {
        if (actual < needed)
        {
            throw new ArgumentException($"{name} holds {actual} floats; at least {needed} are needed.", name);
        }
    }
}
