using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FusedOps.Kernels;

/// <summary>
/// The weight options of Linear and Conv2d, computed once per training forward into a plain weight that
/// the layer's kernels then use as they are: <c>weight_norm</c> (w = g·v/‖v‖ per output row) and
/// <c>spectral_norm</c> (w = w_orig/σ, σ = uᵀ·W·v after one power iteration in training), and the
/// backward maps that take the gradient of the effective weight back to g and v, or through σ.
/// A weight is a matrix of <c>rows</c> output channels by <c>in·k·k</c> columns (PyTorch's reshape to [out, −1]).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class WeightForms
{
    // torch.nn.functional.normalize's eps in spectral_norm.
    private const double NormalizeEpsilon = 1e-12;

    /// <summary>
    /// weight_norm applied to a fresh layer: v = <paramref name="weight"/>, g = its row norms, each summed in
    /// double element by element as the reference does, so both start from the same bits.
    /// </summary>
    public static void InitWeightNorm(ReadOnlySpan<float> weight, Span<float> g, Span<float> v)
    {
        int rows = g.Length, cols = weight.Length / rows;
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            foreach (float e in weight.Slice(r * cols, cols))
            {
                sum += (double)e * e;
            }

            g[r] = (float)Math.Sqrt(sum);
        }

        weight.CopyTo(v);
    }

    /// <summary>w = g[r]·v/‖v‖ row by row; the row norms go to <paramref name="norms"/> for the backward map.</summary>
    public static void WeightNormForward(ReadOnlySpan<float> g, ReadOnlySpan<float> v, Span<float> w, Span<double> norms)
    {
        int rows = g.Length, cols = v.Length / rows;
        ref float vs = ref MemoryMarshal.GetReference(v);
        ref float ws = ref MemoryMarshal.GetReference(w);
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref vs, r * cols);
            double norm = Math.Sqrt(RowMath.Dot(ref row, ref row, cols));
            norms[r] = norm;
            RowMath.Scale(ref row, (float)(g[r] / norm), ref Unsafe.Add(ref ws, r * cols), cols);
        }
    }

    /// <summary>
    /// Adds ∂L/∂g = G·v/‖v‖ and ∂L/∂v = (g/‖v‖)·G − (g·(G·v)/‖v‖³)·v per row, given G = ∂L/∂w.
    /// </summary>
    public static void WeightNormBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> v, ReadOnlySpan<double> norms, ReadOnlySpan<float> weightGrad, Span<float> gGrad, Span<float> vGrad)
    {
        int rows = g.Length, cols = v.Length / rows;
        ref float vs = ref MemoryMarshal.GetReference(v);
        ref float dw = ref MemoryMarshal.GetReference(weightGrad);
        ref float dv = ref MemoryMarshal.GetReference(vGrad);
        for (int r = 0; r < rows; r++)
        {
            int o = r * cols;
            double gv = RowMath.Dot(ref Unsafe.Add(ref dw, o), ref Unsafe.Add(ref vs, o), cols);
            double norm = norms[r];
            gGrad[r] += (float)(gv / norm);
            RowMath.AddScaled(ref Unsafe.Add(ref dv, o), (float)(g[r] / norm), ref Unsafe.Add(ref dw, o), (float)(-g[r] * gv / (norm * norm * norm)), ref Unsafe.Add(ref vs, o), cols);
        }
    }

    /// <summary>
    /// w = w_orig/σ with σ = uᵀ·W·v. With <paramref name="powerIteration"/> (a training forward) first
    /// v = normalize(Wᵀu), then u = normalize(W·v), written back into <paramref name="u"/> and <paramref name="v"/>
    /// as PyTorch updates its buffers; without it the stored u and v are used as they are (eval). Returns σ.
    /// </summary>
    public static double SpectralNormForward(ReadOnlySpan<float> weightOrig, Span<float> u, Span<float> v, Span<float> w, bool powerIteration)
    {
        int rows = u.Length, cols = v.Length;
        ref float ws = ref MemoryMarshal.GetReference(weightOrig);
        ref float vs = ref MemoryMarshal.GetReference(v);
        if (powerIteration)
        {
            // Wᵀu as a sum of rows scaled by u, so W is read row by row.
            v.Clear();
            for (int r = 0; r < rows; r++)
            {
                RowMath.AddScaled(ref vs, u[r], ref Unsafe.Add(ref ws, r * cols), 0f, ref vs, cols);
            }

            Normalize(v);
            for (int r = 0; r < rows; r++)
            {
                u[r] = (float)RowMath.Dot(ref Unsafe.Add(ref ws, r * cols), ref vs, cols);
            }

            Normalize(u);
        }

        double sigma = 0;
        for (int r = 0; r < rows; r++)
        {
            sigma += u[r] * RowMath.Dot(ref Unsafe.Add(ref ws, r * cols), ref vs, cols);
        }

        RowMath.Scale(ref ws, (float)(1 / sigma), ref MemoryMarshal.GetReference(w), rows * cols);
        return sigma;
    }

    /// <summary>
    /// Adds ∂L/∂w_orig = G/σ − (⟨G, w_orig⟩/σ²)·u·vᵀ, u and v constants as in PyTorch, given G = ∂L/∂w.
    /// </summary>
    public static void SpectralNormBackward(ReadOnlySpan<float> weightOrig, ReadOnlySpan<float> u, ReadOnlySpan<float> v, double sigma, ReadOnlySpan<float> weightGrad, Span<float> origGrad)
    {
        int rows = u.Length, cols = v.Length;
        ref float dw = ref MemoryMarshal.GetReference(weightGrad);
        ref float vs = ref MemoryMarshal.GetReference(v);
        ref float acc = ref MemoryMarshal.GetReference(origGrad);
        double gw = RowMath.Dot(ref dw, ref MemoryMarshal.GetReference(weightOrig), rows * cols);
        float inv = (float)(1 / sigma);
        for (int r = 0; r < rows; r++)
        {
            RowMath.AddScaled(ref Unsafe.Add(ref acc, r * cols), inv, ref Unsafe.Add(ref dw, r * cols), (float)(-gw * u[r] / (sigma * sigma)), ref vs, cols);
        }
    }

    /// <summary>x / max(‖x‖, 1e-12), as <c>torch.nn.functional.normalize</c>.</summary>
    private static void Normalize(Span<float> x)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        double norm = Math.Max(Math.Sqrt(RowMath.Dot(ref xs, ref xs, x.Length)), NormalizeEpsilon);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(x[i] / norm);
        }
    }
}
