using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>
/// <c>nn.LocalResponseNorm(size, alpha, beta, k)</c> over <c>[n, channels, spatial]</c>:
/// y_c = x_c·D_c^(−β) with D_c = k + α/size·Σ x_j² over channels j in [c − size/2, c + (size − 1)/2].
/// Forward keeps D for Backward: dx_j = dy_j·D_j^(−β) − (2αβ/size)·x_j·Σ_c dy_c·x_c·D_c^(−β−1) over the
/// channels c whose window holds j. Sums of squares in double.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LocalResponse
{
    /// <summary>The arguments of one LocalResponseNorm.</summary>
    /// <param name="Size">Channels in the window.</param>
    /// <param name="Alpha">α.</param>
    /// <param name="Beta">β.</param>
    /// <param name="K">k.</param>
    public readonly record struct Window(int Size, float Alpha, float Beta, float K);

    /// <summary>y = x·D^(−β); D goes to <paramref name="d"/> (one per element).</summary>
    public static void Forward(ref float x, ref float y, ref float d, int n, int channels, int spatial, Window w)
    {
        for (int s = 0; s < n; s++)
        {
            int sample = s * channels * spatial;
            for (int c = 0; c < channels; c++)
            {
                int lo = Math.Max(0, c - (w.Size / 2)), hi = Math.Min(channels - 1, c + ((w.Size - 1) / 2));
                for (int i = 0; i < spatial; i++)
                {
                    double sum = 0;
                    for (int j = lo; j <= hi; j++)
                    {
                        double v = Unsafe.Add(ref x, sample + (j * spatial) + i);
                        sum += v * v;
                    }

                    int o = sample + (c * spatial) + i;
                    float dc = (float)(w.K + (w.Alpha * sum / w.Size));
                    Unsafe.Add(ref d, o) = dc;
                    Unsafe.Add(ref y, o) = Unsafe.Add(ref x, o) * MathF.Pow(dc, -w.Beta);
                }
            }
        }
    }

    /// <summary>dx from dy, the input and the saved D; <paramref name="t"/> is scratch of one sample.</summary>
    public static void Backward(ref float dy, ref float x, ref float d, ref float dx, Span<float> t, int n, int channels, int spatial, Window w)
    {
        float factor = 2 * w.Alpha * w.Beta / w.Size;
        for (int s = 0; s < n; s++)
        {
            int sample = s * channels * spatial;
            for (int i = 0; i < channels * spatial; i++)
            {
                int o = sample + i;
                t[i] = Unsafe.Add(ref dy, o) * Unsafe.Add(ref x, o) * MathF.Pow(Unsafe.Add(ref d, o), -w.Beta - 1);
            }

            for (int j = 0; j < channels; j++)
            {
                int lo = Math.Max(0, j - ((w.Size - 1) / 2)), hi = Math.Min(channels - 1, j + (w.Size / 2));
                for (int i = 0; i < spatial; i++)
                {
                    double cross = 0;
                    for (int c = lo; c <= hi; c++)
                    {
                        cross += t[(c * spatial) + i];
                    }

                    int o = sample + (j * spatial) + i;
                    Unsafe.Add(ref dx, o) = (Unsafe.Add(ref dy, o) * MathF.Pow(Unsafe.Add(ref d, o), -w.Beta)) - (float)(factor * Unsafe.Add(ref x, o) * cross);
                }
            }
        }
    }
}
