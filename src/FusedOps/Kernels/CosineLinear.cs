using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FusedOps.Kernels;

/// <summary>
/// <c>Linear(out, CosineNorm = true)</c>: y[s, o] = w_o·x_s / (‖w_o‖·‖x_s‖). Forward is the Linear GEMM
/// followed by one scale per output (1/‖w_o‖, computed once per pass) and per sample (1/‖x_s‖); backward
/// is the Linear's two GEMMs on the scaled gradient t = dy/(‖w_o‖·‖x_s‖) plus one rank-one correction per
/// row: dx_s = Σ_o t·w_o − (Σ_o dy·y)·x_s/‖x_s‖², dW_o += Σ_s t·x_s − (Σ_s dy·y)·w_o/‖w_o‖².
/// A zero row or input gives 0/0 = NaN, as the formula does.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CosineLinear
{
    /// <summary>inverse[r] = 1/‖row r‖ of a <c>rows × cols</c> matrix.</summary>
    public static void InverseRowNorms(ref float m, int rows, int cols, Span<float> inverse)
    {
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref m, r * cols);
            inverse[r] = (float)(1 / Math.Sqrt(RowMath.Dot(ref row, ref row, cols)));
        }
    }

    /// <summary>
    /// y = cosine of each of <paramref name="n"/> inputs with each weight row, given the weight rows' inverse
    /// norms; the inputs' inverse norms go to <paramref name="inverseInputNorms"/> (one per sample).
    /// </summary>
    public static void Forward(ref float x, int n, ref float w, int outFeatures, int inFeatures, ReadOnlySpan<float> inverseWeightNorms, Span<float> inverseInputNorms, ref float y)
    {
        InverseRowNorms(ref x, n, inFeatures, inverseInputNorms);
        LinearKernels.MatMulNT(ref x, n, ref w, outFeatures, inFeatures, ref y);
        ref float inverseWeight = ref MemoryMarshal.GetReference(inverseWeightNorms);
        for (int s = 0; s < n; s++)
        {
            ref float ys = ref Unsafe.Add(ref y, s * outFeatures);
            RowMath.ScaleBoth(ref ys, ref inverseWeight, inverseInputNorms[s], outFeatures);
        }
    }

    /// <summary>
    /// Adds the weight gradient to <paramref name="weightGrad"/> and, with <paramref name="wantInput"/>, writes
    /// the input gradient; <paramref name="t"/> is scratch of <c>n × outFeatures</c>.
    /// </summary>
    public static void Backward(ref float dy, ref float x, ref float y, int n, ref float w, int outFeatures, int inFeatures,
        ReadOnlySpan<float> inverseWeightNorms, ReadOnlySpan<float> inverseInputNorms, ref float weightGrad, ref float dx, bool wantInput, Span<float> t)
    {
        ref float ts = ref MemoryMarshal.GetReference(t);
        ref float inverseWeight = ref MemoryMarshal.GetReference(inverseWeightNorms);
        for (int s = 0; s < n; s++)
        {
            RowMath.Scale(ref Unsafe.Add(ref dy, s * outFeatures), inverseInputNorms[s], ref Unsafe.Add(ref ts, s * outFeatures), outFeatures);
            RowMath.ScaleBoth(ref Unsafe.Add(ref ts, s * outFeatures), ref inverseWeight, 1f, outFeatures);
        }

        // Σ_s dy·y per output, before the GEMM adds into the gradient it corrects.
        Span<double> perOutput = outFeatures <= 256 ? stackalloc double[outFeatures] : new double[outFeatures];
        perOutput.Clear();
        for (int s = 0; s < n; s++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                perOutput[o] += (double)Unsafe.Add(ref dy, (s * outFeatures) + o) * Unsafe.Add(ref y, (s * outFeatures) + o);
            }
        }

        Gemm.AxpyRows(ref ts, 1, outFeatures, ref x, inFeatures, outFeatures, n, inFeatures, ref weightGrad, inFeatures, true);
        for (int o = 0; o < outFeatures; o++)
        {
            float a = inverseWeightNorms[o];
            ref float row = ref Unsafe.Add(ref w, o * inFeatures);
            RowMath.AddScaled(ref Unsafe.Add(ref weightGrad, o * inFeatures), (float)(-perOutput[o] * a * a), ref row, 0f, ref row, inFeatures);
        }

        if (!wantInput)
        {
            return;
        }

        Gemm.AxpyRows(ref ts, outFeatures, 1, ref w, inFeatures, n, outFeatures, inFeatures, ref dx, inFeatures, false);
        for (int s = 0; s < n; s++)
        {
            double p = RowMath.Dot(ref Unsafe.Add(ref dy, s * outFeatures), ref Unsafe.Add(ref y, s * outFeatures), outFeatures);
            float b = inverseInputNorms[s];
            ref float xs = ref Unsafe.Add(ref x, s * inFeatures);
            RowMath.AddScaled(ref Unsafe.Add(ref dx, s * inFeatures), (float)(-p * b * b), ref xs, 0f, ref xs, inFeatures);
        }
    }
}
