using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// Per-channel BatchNorm arithmetic shared by the generated passes: batch statistics, running
/// updates, eval scale/shift, folding into weights, and the closing step of the backward pass.
/// Tensors are <c>[n, channels, spatial]</c>; sums are in double.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Norm
{
    /// <summary>Adds Σx and Σx² per channel over n and spatial.</summary>
    public static void ChannelSums(ref float z, int n, int channels, int spatial, Span<double> sum, Span<double> sumSq)
    {
        if (spatial == 1)
        {
            FeatureSums(ref z, n, channels, sum, sumSq);
            return;
        }

        for (int s = 0; s < n; s++)
        {
            for (int c = 0; c < channels; c++)
            {
                ref float row = ref Unsafe.Add(ref z, ((s * channels) + c) * spatial);
                double a = 0, b = 0;
                int i = 0;
                if (Vector256.IsHardwareAccelerated && spatial >= 8)
                {
                    Vector256<float> va = Vector256<float>.Zero, vb = Vector256<float>.Zero;
                    for (; i <= spatial - 8; i += 8)
                    {
                        Vector256<float> v = Vector256.LoadUnsafe(ref row, (nuint)i);
                        va += v;
                        vb += v * v;
                    }

                    a = Vector256.Sum(va);
                    b = Vector256.Sum(vb);
                }

                for (; i < spatial; i++)
                {
                    double v = Unsafe.Add(ref row, i);
                    a += v;
                    b += v * v;
                }

                sum[c] += a;
                sumSq[c] += b;
            }
        }
    }

    /// <summary>
    /// Turns sums over <paramref name="count"/> values (each offset by <paramref name="offset"/>[c],
    /// empty for none) into mean and 1/√(biased var + ε), and updates the running statistics with
    /// the unbiased variance, as PyTorch's training-mode BatchNorm.
    /// </summary>
    public static void FinishBatchStats(ReadOnlySpan<double> sum, ReadOnlySpan<double> sumSq, ReadOnlySpan<float> offset, long count, float epsilon, float momentum,
        Span<float> runningMean, Span<float> runningVar, Span<float> mean, Span<float> invStd)
    {
        for (int c = 0; c < mean.Length; c++)
        {
            double m = sum[c] / count;
            double variance = Math.Max(0.0, (sumSq[c] / count) - (m * m));
            double mu = m + (offset.IsEmpty ? 0.0 : offset[c]);
            mean[c] = (float)mu;
            invStd[c] = (float)(1.0 / Math.Sqrt(variance + epsilon));
            runningMean[c] = (float)(((1.0 - momentum) * runningMean[c]) + (momentum * mu));
            runningVar[c] = (float)(((1.0 - momentum) * runningVar[c]) + (momentum * variance * count / (count - 1)));
        }
    }

    /// <summary>Training-mode affine: scale = γ·invStd, shift = β − μ·scale (γ = 1, β = 0 when empty).</summary>
    public static void TrainScaleShift(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> scale, Span<float> shift)
    {
        for (int c = 0; c < mean.Length; c++)
        {
            float sc = (gamma.IsEmpty ? 1f : gamma[c]) * invStd[c];
            scale[c] = sc;
            shift[c] = (beta.IsEmpty ? 0f : beta[c]) - (mean[c] * sc);
        }
    }

    /// <summary>
    /// Eval-mode affine for a preceding op's output: scale = γ/√(σ²+ε), shift = β + (b − μ)·scale.
    /// With an empty <paramref name="runningMean"/> there is no BatchNorm: scale = 1, shift = b.
    /// </summary>
    public static void EvalScaleShift(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, float epsilon,
        ReadOnlySpan<float> bias, Span<float> scale, Span<float> shift)
    {
        for (int c = 0; c < scale.Length; c++)
        {
            float b = bias.IsEmpty ? 0f : bias[c];
            if (runningMean.IsEmpty)
            {
                scale[c] = 1f;
                shift[c] = b;
                continue;
            }

            float sc = (float)((gamma.IsEmpty ? 1.0 : gamma[c]) / Math.Sqrt(runningVar[c] + (double)epsilon));
            scale[c] = sc;
            shift[c] = (beta.IsEmpty ? 0f : beta[c]) + ((b - runningMean[c]) * sc);
        }
    }

    /// <summary>Multiplies row c (length <paramref name="rowLength"/>) of <paramref name="weights"/> by scale[c], in place.</summary>
    public static void ScaleRows(Span<float> weights, int rowLength, ReadOnlySpan<float> scale)
    {
        for (int c = 0; c < scale.Length; c++)
        {
            Span<float> row = weights.Slice(c * rowLength, rowLength);
            for (int i = 0; i < row.Length; i++)
            {
                row[i] *= scale[c];
            }
        }
    }

    /// <summary>
    /// The last step of BatchNorm's backward, given dU (gradient at the normalised output) and the
    /// per-channel Σ dU and Σ dU·x̂ over m values: dZ = γ·invStd·(dU − Σ dU/m − x̂·Σ dU·x̂/m).
    /// <paramref name="dz"/> may alias <paramref name="du"/>.
    /// </summary>
    public static void BackwardApply(ref float du, ref float z, int n, int channels, int spatial, ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<double> sumDu, ReadOnlySpan<double> sumDuXhat, long count, ref float dz)
    {
        if (spatial == 1)
        {
            FeatureBackwardApply(ref du, ref z, n, channels, gamma, mean, invStd, sumDu, sumDuXhat, count, ref dz);
            return;
        }

        for (int s = 0; s < n; s++)
        {
            for (int c = 0; c < channels; c++)
            {
                int offset = ((s * channels) + c) * spatial;
                float k = (gamma.IsEmpty ? 1f : gamma[c]) * invStd[c];
                float a = (float)(sumDu[c] / count);
                float b = (float)(sumDuXhat[c] / count);
                float mu = mean[c];
                float inv = invStd[c];
                int i = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; i <= spatial - 8; i += 8)
                    {
                        Vector256<float> xh = (Vector256.LoadUnsafe(ref z, (nuint)(offset + i)) - Vector256.Create(mu)) * inv;
                        Vector256<float> g = Vector256.LoadUnsafe(ref du, (nuint)(offset + i));
                        ((g - Vector256.Create(a) - (xh * b)) * k).StoreUnsafe(ref dz, (nuint)(offset + i));
                    }
                }

                for (; i < spatial; i++)
                {
                    float xh = (Unsafe.Add(ref z, offset + i) - mu) * inv;
                    Unsafe.Add(ref dz, offset + i) = (Unsafe.Add(ref du, offset + i) - a - (xh * b)) * k;
                }
            }
        }
    }

    /// <summary>destination[c] += (float)source[c].</summary>
    public static void AddTo(ReadOnlySpan<double> source, Span<float> destination)
    {
        for (int c = 0; c < destination.Length; c++)
        {
            destination[c] += (float)source[c];
        }
    }

    /// <summary>Concat of two batches along the channels: y[s] = [a[s], b[s]] for each of <paramref name="n"/> samples.</summary>
    public static void ConcatSamples(ref float a, int aLength, ref float b, int bLength, ref float y, int n)
    {
        for (int s = 0; s < n; s++)
        {
            ref float ys = ref Unsafe.Add(ref y, s * (aLength + bLength));
            Copy(ref Unsafe.Add(ref a, s * aLength), ref ys, aLength);
            Copy(ref Unsafe.Add(ref b, s * bLength), ref Unsafe.Add(ref ys, aLength), bLength);
        }
    }

    /// <summary>
    /// Concat's backward: the first <paramref name="aLength"/> values of each sample's gradient go to
    /// <paramref name="da"/> (when <paramref name="wantA"/>), the rest are added to <paramref name="db"/>.
    /// </summary>
    public static void SplitSamples(ref float dy, int aLength, int bLength, ref float da, bool wantA, ref float db, int n)
    {
        for (int s = 0; s < n; s++)
        {
            ref float dys = ref Unsafe.Add(ref dy, s * (aLength + bLength));
            if (wantA)
            {
                Copy(ref dys, ref Unsafe.Add(ref da, s * aLength), aLength);
            }

            ConvHelpers.Add(ref Unsafe.Add(ref dys, aLength), ref Unsafe.Add(ref db, s * bLength), bLength);
        }
    }

    /// <summary>Copies <paramref name="count"/> floats.</summary>
    public static void Copy(ref float source, ref float destination, int count) =>
        MemoryMarshal.CreateReadOnlySpan(ref source, count).CopyTo(MemoryMarshal.CreateSpan(ref destination, count));
}
