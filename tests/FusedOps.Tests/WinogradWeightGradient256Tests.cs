using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The Vector256 path of the Winograd F(3×3, 2×2) weight gradient (<c>WinogradConv.WeightGradient256.cs</c>): its sums M bit for bit
/// as one float FMA per tile, tile after tile (row after row) and sample after sample, of V = Bᵀ d B and U′ = A g Aᵀ formed in the
/// kernel's order of operations, so a change of its blocking or band that alters the order fails. Input channels 16 to 80 (the
/// products' blocks of 6 end in 4, 2, 0 or 2 channels), output channels within and past a vector, rows of 14 to 17 tiles, odd
/// planes (a last tile row or column half outside), values over several binades.
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradWeightGradient256Tests
{
    [Theory]
    [InlineData(16, 16, 28, 28, 2)]
    [InlineData(32, 20, 9, 33, 2)]
    [InlineData(80, 16, 5, 28, 1)]
    [InlineData(48, 24, 7, 29, 2)]
    [InlineData(16, 32, 14, 30, 1)]
    public void Sums_AreOneFmaPerTileInTileOrder_Bitwise(int c, int oc, int oh, int ow, int n)
    {
        int savedBits = KernelOptions.MaxVectorBits;
        try
        {
            KernelOptions.MaxVectorBits = 256;
            var shape = new WinogradShape(c, oc, oh, ow);
            if (KernelDispatch.Level != 1 || !WinogradConv.WeightGradientRuns(in shape))
            {
                return;
            }

            var random = new Random((c * 5) + oc + oh + ow);
            int ih = oh + 2, iw = ow + 2, inRow = iw + 3, inPlane = (ih * inRow) + 5, dzRow = ow + 2, dzPlane = (oh * dzRow) + 3;
            float[] sums = new float[WinogradConv.WeightGradientSumsLength(in shape)], scratch = new float[WinogradConv.WeightGradientScratchLength(in shape)];
            float[] expected = new float[sums.Length];
            int pad = shape.OutPad;
            for (int s = 0; s < n; s++)
            {
                // The padded planes (margin zero) and dZ, junk between rows and planes.
                float[] x = Enumerable.Repeat(1e6f, c * inPlane).ToArray(), dz = Enumerable.Repeat(-1e6f, oc * dzPlane).ToArray();
                for (int ci = 0; ci < c; ci++)
                {
                    for (int y = 0; y < ih; y++)
                    {
                        for (int xx = 0; xx < iw; xx++)
                        {
                            bool margin = y == 0 || xx == 0 || y == ih - 1 || xx == iw - 1;
                            x[(ci * inPlane) + (y * inRow) + xx] = margin ? 0f : (random.NextSingle() - 0.5f) * MathF.Pow(2f, random.Next(-4, 5));
                        }
                    }
                }

                for (int o = 0; o < oc; o++)
                {
                    for (int y = 0; y < oh; y++)
                    {
                        for (int xx = 0; xx < ow; xx++)
                        {
                            dz[(o * dzPlane) + (y * dzRow) + xx] = (random.NextSingle() - 0.5f) * MathF.Pow(2f, random.Next(-4, 5));
                        }
                    }
                }

                WinogradConv.WeightGradientSample(in shape, x, inPlane, inRow, dz, dzPlane, dzRow, sums, scratch);

                float X(int ci, int y, int xx) => y < ih && xx < iw ? x[(ci * inPlane) + (y * inRow) + xx] : 0f;
                float G(int o, int y, int xx) => y < oh && xx < ow ? dz[(o * dzPlane) + (y * dzRow) + xx] : 0f;
                float[] v = new float[16 * c], u = new float[16 * oc];
                for (int ty = 0; ty < shape.TileRows; ty++)
                {
                    for (int tx = 0; tx < shape.TileColumns; tx++)
                    {
                        for (int ci = 0; ci < c; ci++)
                        {
                            // Rows combined first (d0 − d2, d1 + d2, d2 − d1, d1 − d3), then the columns of each the same way.
                            float[] r = new float[16];
                            for (int k = 0; k < 4; k++)
                            {
                                float d0 = X(ci, 2 * ty, (2 * tx) + k), d1 = X(ci, (2 * ty) + 1, (2 * tx) + k), d2 = X(ci, (2 * ty) + 2, (2 * tx) + k), d3 = X(ci, (2 * ty) + 3, (2 * tx) + k);
                                (r[k], r[4 + k], r[8 + k], r[12 + k]) = (d0 - d2, d1 + d2, d2 - d1, d1 - d3);
                            }

                            for (int i = 0; i < 4; i++)
                            {
                                float e0 = r[4 * i], e1 = r[(4 * i) + 1], e2 = r[(4 * i) + 2], e3 = r[(4 * i) + 3];
                                (v[((4 * i) + 0) * c + ci], v[((4 * i) + 1) * c + ci], v[((4 * i) + 2) * c + ci], v[((4 * i) + 3) * c + ci]) = (e0 - e2, e1 + e2, e2 - e1, e1 - e3);
                            }
                        }

                        for (int o = 0; o < oc; o++)
                        {
                            // A on the rows (r0, r0 + r1, r0 − r1, −r1), then g Aᵀ on each (a, a + b, a − b, −b).
                            float a0 = G(o, 2 * ty, 2 * tx), b0 = G(o, 2 * ty, (2 * tx) + 1), a1 = G(o, (2 * ty) + 1, 2 * tx), b1 = G(o, (2 * ty) + 1, (2 * tx) + 1);
                            (float A, float B)[] rows = [(a0, b0), (a0 + a1, b0 + b1), (a0 - a1, b0 - b1), (-a1, -b1)];
                            for (int i = 0; i < 4; i++)
                            {
                                (float a, float b) = rows[i];
                                (u[((4 * i) + 0) * oc + o], u[((4 * i) + 1) * oc + o], u[((4 * i) + 2) * oc + o], u[((4 * i) + 3) * oc + o]) = (a, a + b, a - b, -b);
                            }
                        }

                        for (int xi = 0; xi < 16; xi++)
                        {
                            for (int ci = 0; ci < c; ci++)
                            {
                                for (int o = 0; o < oc; o++)
                                {
                                    ref float m = ref expected[(((xi * c) + ci) * pad) + o];
                                    m = MathF.FusedMultiplyAdd(v[(xi * c) + ci], u[(xi * oc) + o], m);
                                }
                            }
                        }
                    }
                }
            }

            for (int xi = 0; xi < 16; xi++)
            {
                for (int ci = 0; ci < c; ci++)
                {
                    for (int o = 0; o < pad; o++)
                    {
                        int i = (((xi * c) + ci) * pad) + o;
                        Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(sums[i]), $"M[{xi}][{ci}][{o}] = {sums[i]}, expected {expected[i]}");
                    }
                }
            }
        }
        finally
        {
            KernelOptions.MaxVectorBits = savedBits;
        }
    }
}
