using System;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The runtime kernels' 128-bit paths (<see cref="KernelOptions.MaxVectorBits"/> 128) that take the 256-bit path's operations in
/// its order give its bits, on shapes that reach every tile, vector and scalar tail: <see cref="Gemm"/>'s products and column sums
/// (depths across the 128-step blocks, lengths with 16-, 4- and scalar tails, transposed A, accumulating or not). Their results
/// against double loops are GemmTests' at 128 bits; the training forward's crop and batch sums on the grid (<see cref="Conv2dTrainer"/>).
/// </summary>
[Collection("KernelLevel")]
public sealed class Vector128KernelTests
{
    private static readonly int[] RowCounts = [1, 2, 3, 4, 7, 13];
    private static readonly int[] Depths = [1, 5, 130, 300];
    private static readonly int[] Lengths = [1, 3, 4, 7, 8, 9, 15, 16, 17, 33, 45, 100];

    [Fact]
    public void AxpyRows_At128Bits_GivesThe256BitPathsBits()
    {
        if (KernelDispatch.HardwareBits < 256)
        {
            return; // Nothing wider to compare with (ARM64): GemmTests checks the 128-bit path against double loops there.
        }

        var random = new Random(1);
        foreach (int rows in RowCounts)
        {
            foreach (int depth in Depths)
            {
                foreach (int length in Lengths)
                {
                    foreach (bool transposed in new[] { false, true })
                    {
                        // A as rows × depth (row stride depth) or read transposed from depth × rows (a Linear's dZᵀ).
                        float[] a = Random(random, rows * depth), b = Random(random, depth * (length + 3)), c0 = Random(random, rows * (length + 2));
                        int rs = transposed ? 1 : depth, cs = transposed ? rows : 1;
                        foreach (bool accumulate in new[] { false, true })
                        {
                            float[] at256 = Axpy(256, a, rs, cs, b, length + 3, rows, depth, length, c0, length + 2, accumulate);
                            float[] at128 = Axpy(128, a, rs, cs, b, length + 3, rows, depth, length, c0, length + 2, accumulate);
                            AssertSameBits(at256, at128, $"AxpyRows rows {rows}, depth {depth}, length {length}, transposed {transposed}, accumulate {accumulate}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void PanelGemm_At128Bits_GivesThe256BitPathsBits()
    {
        if (KernelDispatch.HardwareBits < 256)
        {
            return;
        }

        var random = new Random(2);
        foreach (int rows in RowCounts)
        {
            foreach (int depth in Depths)
            {
                float[] a = Random(random, rows * depth), panel = Random(random, depth * 32), c0 = Random(random, rows * 37);
                foreach (bool accumulate in new[] { false, true })
                {
                    float[] at256 = Panel(256, a, rows, depth, panel, c0, accumulate), at128 = Panel(128, a, rows, depth, panel, c0, accumulate);
                    AssertSameBits(at256, at128, $"PanelGemm rows {rows}, depth {depth}, accumulate {accumulate}");
                }
            }
        }
    }

    [Fact]
    public void ColumnSums_At128Bits_GivesThe256BitPathsBits()
    {
        if (KernelDispatch.HardwareBits < 256)
        {
            return;
        }

        var random = new Random(3);
        foreach (int rows in new[] { 0, 1, 2, 3, 64, 101 })
        {
            foreach (int cols in Lengths)
            {
                float[] source = Random(random, rows * cols), sums = Random(random, cols);
                float[] at256 = (float[])sums.Clone(), at128 = (float[])sums.Clone();
                if (rows > 0)
                {
                    KernelLevelCollection.AtLevel(256, () => Gemm.ColumnSums(ref source[0], rows, cols, ref at256[0]));
                    KernelLevelCollection.AtLevel(128, () => Gemm.ColumnSums(ref source[0], rows, cols, ref at128[0]));
                }

                AssertSameBits(at256, at128, $"ColumnSums rows {rows}, cols {cols}");
            }
        }
    }

    /// <summary>
    /// A Linear's backward prologue with the next layer's PReLU (one slope and per feature), BipolarReLU or RReLU: dz, the bias
    /// gradient and the slope gradients bitwise as at 256 bits, on feature counts with 4-wide steps and scalar tails; zeros in z.
    /// </summary>
    [Theory]
    [InlineData(ColumnOperator.Slope, 1)]
    [InlineData(ColumnOperator.Slope, 0)]
    [InlineData(ColumnOperator.Bipolar, 0)]
    [InlineData(ColumnOperator.RandomSlope, 0)]
    public void ColumnGradient_At128Bits_GivesThe256BitPathsBits(ColumnOperator column, int oneSlope)
    {
        if (KernelDispatch.HardwareBits < 256)
        {
            return;
        }

        var random = new Random((int)column + oneSlope);
        foreach (int cols in new[] { 3, 4, 6, 13, 37 })
        {
            const int rows = 9;
            float[] dy = Random(random, rows * cols), z = Random(random, rows * cols), bias0 = Random(random, cols);
            z[1] = 0f;
            int slopeCount = column == ColumnOperator.RandomSlope ? rows * cols : column == ColumnOperator.Slope ? (oneSlope == 1 ? 1 : cols) : 0;
            float[] slopes = Random(random, slopeCount);
            float[] slopeGrad0 = column == ColumnOperator.Slope ? Random(random, slopeCount) : [];
            float[] Run(int bits)
            {
                float[] dz = new float[rows * cols], bias = (float[])bias0.Clone(), slopeGrad = (float[])slopeGrad0.Clone();
                KernelLevelCollection.AtLevel(bits, () => LinearKernels.ColumnGradient(ref dy[0], ref z[0], ref dz[0], rows, cols, bias, column,
                    slopes.AsSpan(0, slopeCount), slopeGrad));
                return [.. dz, .. bias, .. slopeGrad];
            }

            AssertSameBits(Run(256), Run(128), $"{column}, {cols} features, {slopeCount} slopes");
        }
    }

    /// <summary>
    /// The training forward on the padded-width grid (Winograd off: the grid's products are the same sums at both widths) at 128 bits:
    /// z and the batch's Σ z, Σ z² per channel bitwise as at 256, on rows of 28 (8-lane steps and a 4-value tail), 14 (a 6-value tail),
    /// 13, 5 and 3 (tails only), with an odd channel count (the last of a pair alone) and a bias.
    /// </summary>
    [Theory]
    [InlineData(1, 28, 28, 16)]
    [InlineData(16, 14, 14, 32)]
    [InlineData(3, 13, 9, 7)]
    [InlineData(2, 5, 3, 5)]
    [InlineData(4, 11, 21, 9)]
    public void TrainingForward_At128Bits_GivesThe256BitPathsBits(int c, int h, int w, int oc)
    {
        if (KernelDispatch.HardwareBits < 256)
        {
            return;
        }

        const int n = 3;
        var random = new Random(c + h + w + oc);
        float[] x = Random(random, n * c * h * w), weight = Random(random, oc * c * 9), bias = Random(random, oc);
        (float[] z, double[] sums) Forward(int bits)
        {
            float[] z = new float[n * oc * h * w];
            double[] sum = new double[oc], sumSq = new double[oc];
            bool saved = Conv2dTrainer.WinogradEnabled;
            try
            {
                Conv2dTrainer.WinogradEnabled = false;
                KernelLevelCollection.AtLevel(bits, () => new Conv2dTrainer(c, h, w, oc, 3, 1, 1).Forward(x, weight, bias, z, n, sum, sumSq));
            }
            finally
            {
                Conv2dTrainer.WinogradEnabled = saved;
            }

            return (z, [.. sum, .. sumSq]);
        }

        (float[] z256, double[] sums256) = Forward(256);
        (float[] z128, double[] sums128) = Forward(128);
        AssertSameBits(z256, z128, $"z, {c} → {oc} on {h} × {w}");
        for (int i = 0; i < sums256.Length; i++)
        {
            Assert.True(BitConverter.DoubleToInt64Bits(sums256[i]) == BitConverter.DoubleToInt64Bits(sums128[i]),
                $"{(i < oc ? "Σ z" : "Σ z²")} of channel {i % oc}: {sums128[i]:R} at 128 bits, {sums256[i]:R} at 256");
        }
    }

    internal static float[] Random(Random random, int count)
    {
        float[] values = new float[Math.Max(1, count)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    internal static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} of {expected.Length} is {actual[i]:R} at 128 bits, {expected[i]:R} at 256.");
            }
        }
    }

    private static float[] Axpy(int bits, float[] a, int rs, int cs, float[] b, int ldb, int rows, int depth, int length, float[] c0, int ldc, bool accumulate)
    {
        float[] c = (float[])c0.Clone();
        KernelLevelCollection.AtLevel(bits, () => Gemm.AxpyRows(ref a[0], rs, cs, ref b[0], ldb, rows, depth, length, ref c[0], ldc, accumulate));
        return c;
    }

    private static float[] Panel(int bits, float[] a, int rows, int depth, float[] panel, float[] c0, bool accumulate)
    {
        float[] c = (float[])c0.Clone();
        KernelLevelCollection.AtLevel(bits, () => Gemm.PanelGemm(ref a[0], depth, 1, rows, depth, ref panel[0], ref c[0], 37, accumulate));
        return c;
    }
}
