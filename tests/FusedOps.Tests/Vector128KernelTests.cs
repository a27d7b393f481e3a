using System;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The runtime kernels' 128-bit paths (<see cref="KernelOptions.MaxVectorBits"/> 128) that take the 256-bit path's operations in
/// its order give its bits, on shapes that reach every tile, vector and scalar tail: <see cref="Gemm"/>'s products and column sums
/// (depths across the 128-step blocks, lengths with 16-, 4- and scalar tails, transposed A, accumulating or not). Their results
/// against double loops are GemmTests' at 128 bits.
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
