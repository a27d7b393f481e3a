using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FusedOps.Kernels;

/// <content>
/// The training epilogues of a Linear group that ends in a residual add of a saved tensor and an activation (no BatchNorm): the
/// forward adds the saved tensor in the GEMM's epilogue and keeps the sum u; the backward forms dU, sums the bias gradient and adds
/// dU to the saved tensor's gradient in one pass. The arithmetic of the unfused passes (<see cref="ActivationPass.AddForward"/>,
/// the activation's backward, <see cref="ConvHelpers.Add"/>).
/// </content>
public static partial class LinearKernels
{
    /// <summary>
    /// <c>u[r·cols + o] = (Σ_i x[r·length + i]·w[o·length + i] + bias[o]) + saved[r·cols + o]</c>, kept for Backward, and
    /// <c>y = act(u)</c>, both stored from the GEMM tile (see <see cref="TrainForward"/> for when W is packed).
    /// </summary>
    /// <typeparam name="TAct">The activation.</typeparam>
    /// <param name="act">The activation's state.</param>
    /// <param name="x">x[0]: <paramref name="rows"/> rows of <paramref name="length"/> floats.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="w">W (out × in).</param>
    /// <param name="cols">Output features.</param>
    /// <param name="length">Input features.</param>
    /// <param name="saved">The saved tensor added: <paramref name="rows"/> × <paramref name="cols"/> floats.</param>
    /// <param name="u">u[0]: as saved, the sum before the activation.</param>
    /// <param name="y">y[0]: as saved, the output.</param>
    /// <param name="bias">The bias, or empty.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TrainAddForward<TAct>(TAct act, ref float x, int rows, ReadOnlySpan<float> w, int cols, int length, ReadOnlySpan<float> saved,
        ref float u, ref float y, ReadOnlySpan<float> bias)
        where TAct : struct, IActivationOperator
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckLength(w.Length, cols * length, nameof(w));
        CheckLength(saved.Length, rows * cols, nameof(saved));
        if (!bias.IsEmpty)
        {
            CheckLength(bias.Length, cols, nameof(bias));
        }

        if (rows == 0)
        {
            return;
        }

        Span<float> us = MemoryMarshal.CreateSpan(ref u, rows * cols), ys = MemoryMarshal.CreateSpan(ref y, rows * cols);
        if (cols >= PackedGemm.PanelWidth && PackScratch(rows, cols, length) is { } packed)
        {
            PackedGemm.PackTransposed(w, cols, length, packed);
            PackedGemm.MultiplyKeep(act, MemoryMarshal.CreateReadOnlySpan(ref x, rows * length), rows, length, packed, cols, us, ys, bias,
                ColumnOperator.None, ReadOnlySpan<float>.Empty, saved);
            return;
        }

        // Few outputs or rows (as TrainForward): z into u, then the add and the activation over it while it is in cache.
        MatMulNT(ref x, rows, ref MemoryMarshal.GetReference(w), cols, length, ref u, bias);
        ActivationPass.AddForward(act, ref u, ref MemoryMarshal.GetReference(saved), ref u, ref y, rows * cols);
    }

    /// <summary>
    /// The backward prologue of <see cref="TrainAddForward"/>: <c>du = act′(dy)</c> at the kept sum u,
    /// <c>savedGrad += du</c> and <c>biasGrad[o] += Σ_r du[r·cols + o]</c>, block by block in one pass. du may alias dy.
    /// </summary>
    /// <typeparam name="TAct">The activation.</typeparam>
    /// <param name="act">The activation's state.</param>
    /// <param name="dy">dY[0]: <paramref name="rows"/> rows of <paramref name="cols"/> floats.</param>
    /// <param name="u">u[0], as Forward kept it.</param>
    /// <param name="du">dU[0], written: the gradient at the Linear's output too.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="cols">Output features.</param>
    /// <param name="savedGrad">The saved tensor's gradient (added to), <paramref name="rows"/> × <paramref name="cols"/> floats.</param>
    /// <param name="biasGrad">The bias gradient (added to), or empty.</param>
    public static void AddActivationGradient<TAct>(TAct act, ref float dy, ref float u, ref float du, int rows, int cols, Span<float> savedGrad,
        Span<float> biasGrad)
        where TAct : struct, IActivationOperator
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckLength(savedGrad.Length, rows * cols, nameof(savedGrad));
        CheckBiasGrad(biasGrad, cols);
        int block = BlockRows(cols);
        for (int r = 0; r < rows; r += block)
        {
            int count = Math.Min(block, rows - r), at = r * cols;
            ActivationPass.Backward(act, ref Unsafe.Add(ref dy, at), ref Unsafe.Add(ref u, at), ref Unsafe.Add(ref du, at), count * cols);
            ConvHelpers.Add(ref Unsafe.Add(ref du, at), ref savedGrad[at], count * cols);
            if (!biasGrad.IsEmpty)
            {
                Gemm.ColumnSums(ref Unsafe.Add(ref du, at), count, cols, ref biasGrad[0]);
            }
        }
    }
}
