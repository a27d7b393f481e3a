using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="Gemm"/> against naive double loops at every dispatch level, on sizes that are not
/// multiples of any vector or tile width and with strides that are not the natural ones.
/// </summary>
/// <remarks>
/// Throughput is not asserted here. Measured by hand (a Stopwatch loop in a scratch console outside
/// the repository, best of repeated 40 ms windows, one thread on a shared 2-vCPU Sapphire Rapids VM
/// where a register-only loop of independent zmm FMAs reaches about 180 GFLOP/s):
/// <list type="bullet">
/// <item>PanelGemm, rows 144, depth 32, A taps-major (1, 144): 159 GFLOP/s on Vector512, 89 on Vector256;
/// depth-major A 154; rows 576, depth 128: 163.</item>
/// <item>AxpyRows, 64 × 128 × 784: 140 on Vector512, 75 on Vector256; 256 × 256 × 256: 165.</item>
/// <item>Scalar paths: 2–4 GFLOP/s.</item>
/// </list>
/// </remarks>
[Collection("KernelLevel")]
public class GemmTests
{
    private const double Tolerance = 1e-5;
    private const int PanelWidth = ConvHelpers.PanelWidth;
    private static readonly int[] RowCounts = [1, 2, 3, 5, 13, 22, 37];
    private static readonly int[] Depths = [1, 3, 17, 144];
    private static readonly int[] Lengths = [1, 7, 33, 45, 100];
    private static readonly bool[] Modes = [false, true];

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void PanelGemm_OddSizesAndStrides_MatchesNaiveAndKeepsGuards(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(1);
        var cases = from rows in RowCounts
                    from depth in Depths
                    from layout in MatrixLayouts(rows, depth)
                    from accumulate in Modes
                    select (rows, depth, layout, accumulate);
        foreach (var (rows, depth, (rowStride, colStride), accumulate) in cases)
        {
            var a = StridedBuffer.Matrix(rows, depth, rowStride, colStride).Randomize(random);
            var panel = StridedBuffer.Matrix(depth, PanelWidth, PanelWidth, 1).Randomize(random);
            const int ldc = PanelWidth + 5;

            // C starts as NaN where it is overwritten: reading it would poison the result.
            var c = StridedBuffer.OutputMatrix(rows, PanelWidth, ldc, 1);
            if (accumulate)
            {
                c.Randomize(random);
            }

            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < PanelWidth; j++)
                {
                    double sum = accumulate ? c[r, j] : 0;
                    double scale = Math.Abs(sum);
                    for (int t = 0; t < depth; t++)
                    {
                        double term = (double)a[r, t] * panel[t, j];
                        sum += term;
                        scale += Math.Abs(term);
                    }

                    c.Expect(r, j, sum, scale);
                }
            }

            Gemm.PanelGemm(ref a.Start, rowStride, colStride, rows, depth, ref panel.Start, ref c.Start, ldc, accumulate);
            c.Check(Tolerance, $"{bits} bits, rows {rows}, depth {depth}, A strides ({rowStride}, {colStride}), accumulate {accumulate}");
        }
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void AxpyRows_OddSizesAndStrides_MatchesNaiveAndKeepsGuards(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(3);
        var cases = from rows in RowCounts
                    from depth in Depths
                    from length in Lengths
                    from layout in MatrixLayouts(rows, depth)
                    from accumulate in Modes
                    select (rows, depth, length, layout, accumulate);
        foreach (var (rows, depth, length, (rowStride, colStride), accumulate) in cases)
        {
            CheckAxpyRows(random, bits, rows, depth, length, rowStride, colStride, accumulate);
        }
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void AxpyRows_LongRows_MatchesNaive(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(4);
        CheckAxpyRows(random, bits, rows: 6, depth: 9, length: 4096 + 13, rowStride: 9, colStride: 1, accumulate: false);
        CheckAxpyRows(random, bits, rows: 6, depth: 9, length: 4096 + 13, rowStride: 1, colStride: 6, accumulate: true);
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void ZeroDepth_OverwriteClearsAndAccumulateKeeps(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(5);
        foreach (bool accumulate in Modes)
        {
            var a = StridedBuffer.Matrix(0, 0, 1, 1);
            var b = StridedBuffer.Matrix(0, 0, 1, 1);
            var c = StridedBuffer.OutputMatrix(13, 37, 40, 1).Randomize(random);
            var d = StridedBuffer.OutputMatrix(13, PanelWidth, 33, 1).Randomize(random);
            for (int r = 0; r < 13; r++)
            {
                for (int i = 0; i < 37; i++)
                {
                    c.Expect(r, i, accumulate ? c[r, i] : 0, 0);
                }

                for (int j = 0; j < PanelWidth; j++)
                {
                    d.Expect(r, j, accumulate ? d[r, j] : 0, 0);
                }
            }

            Gemm.AxpyRows(ref a.Start, 1, 1, ref b.Start, 37, 13, 0, 37, ref c.Start, 40, accumulate);
            Gemm.PanelGemm(ref a.Start, 1, 1, 13, 0, ref b.Start, ref d.Start, 33, accumulate);
            c.Check(0, $"AxpyRows, {bits} bits, accumulate {accumulate}");
            d.Check(0, $"PanelGemm, {bits} bits, accumulate {accumulate}");
        }
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void PackRows_OddLengths_CopiesAndZeroPadsLastPanel(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(6);
        foreach (int rows in RowCounts)
        {
            foreach (int length in Lengths.Append(64))
            {
                int panels = (length + PanelWidth - 1) / PanelWidth;
                var source = StridedBuffer.Matrix(rows, length, length, 1).Randomize(random);
                var packed = StridedBuffer.OutputTensor(panels, rows, PanelWidth, rows * PanelWidth, PanelWidth, 1);
                for (int pb = 0; pb < panels; pb++)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        for (int j = 0; j < PanelWidth; j++)
                        {
                            int i = (pb * PanelWidth) + j;
                            packed.Expect(pb, r, j, i < length ? source[r, i] : 0, 0);
                        }
                    }
                }

                Gemm.PackRows(ref source.Start, rows, length, ref packed.Start);
                packed.Check(0, $"{bits} bits, rows {rows}, length {length}");
            }
        }
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void RowSums_OddLengths_AddsToDestination(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(7);
        foreach (int rows in RowCounts)
        {
            foreach (int length in Lengths.Append(0).Append(1000))
            {
                var source = StridedBuffer.Matrix(rows, length, length, 1).Randomize(random);
                var sums = StridedBuffer.OutputMatrix(rows, 1, 1, 1).Randomize(random);
                for (int r = 0; r < rows; r++)
                {
                    double sum = sums[r, 0];
                    double scale = Math.Abs(sum);
                    for (int i = 0; i < length; i++)
                    {
                        sum += source[r, i];
                        scale += Math.Abs(source[r, i]);
                    }

                    sums.Expect(r, 0, sum, scale);
                }

                Gemm.RowSums(ref source.Start, rows, length, ref sums.Start);
                sums.Check(Tolerance, $"{bits} bits, rows {rows}, length {length}");
            }
        }
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void ColumnSums_OddSizes_AddsToDestination(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(8);
        foreach (int rows in RowCounts.Append(0))
        {
            foreach (int cols in Lengths)
            {
                var source = StridedBuffer.Matrix(rows, cols, cols, 1).Randomize(random);
                var sums = StridedBuffer.OutputMatrix(1, cols, 1, 1).Randomize(random);
                for (int q = 0; q < cols; q++)
                {
                    double sum = sums[0, q];
                    double scale = Math.Abs(sum);
                    for (int r = 0; r < rows; r++)
                    {
                        sum += source[r, q];
                        scale += Math.Abs(source[r, q]);
                    }

                    sums.Expect(0, q, sum, scale);
                }

                Gemm.ColumnSums(ref source.Start, rows, cols, ref sums.Start);
                sums.Check(Tolerance, $"{bits} bits, rows {rows}, cols {cols}");
            }
        }
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void Sums_ManyTerms_AreAccurateToFloatRounding(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        // 65 536 values near 0.5: a float running sum drifts by ~1e-4 relative; a double one only
        // rounds once at the end.
        const int count = 1 << 16;
        const int cols = 17;
        var random = new Random(9);
        var values = new float[count * cols];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        var rowSum = new float[1];
        var columnSums = new float[cols];
        Gemm.RowSums(ref values[0], 1, count, ref rowSum[0]);
        Gemm.ColumnSums(ref values[0], count, cols, ref columnSums[0]);

        double expectedRow = 0;
        for (int i = 0; i < count; i++)
        {
            expectedRow += values[i];
        }

        Assert.True(Math.Abs(rowSum[0] - expectedRow) <= 1.2e-7 * expectedRow, $"row sum {rowSum[0]}, expected {expectedRow}");
        for (int q = 0; q < cols; q++)
        {
            double expected = 0;
            for (int r = 0; r < count; r++)
            {
                expected += values[(r * cols) + q];
            }

            Assert.True(Math.Abs(columnSums[q] - expected) <= 1.2e-7 * expected, $"column {q}: {columnSums[q]}, expected {expected}");
        }
    });

    /// <summary>A with taps-major strides (conv's transposed weights), row-major, and interleaved; none natural.</summary>
    private static (int RowStride, int ColStride)[] MatrixLayouts(int rows, int depth) =>
        [(1, rows + 3), (depth + 2, 1), (2, (2 * rows) + 1)];

    private static void CheckAxpyRows(Random random, int bits, int rows, int depth, int length, int rowStride, int colStride, bool accumulate)
    {
        var a = StridedBuffer.Matrix(rows, depth, rowStride, colStride).Randomize(random);
        int ldb = length + 3;
        int ldc = length + 2;
        var b = StridedBuffer.Matrix(depth, length, ldb, 1).Randomize(random);
        var c = StridedBuffer.OutputMatrix(rows, length, ldc, 1);
        if (accumulate)
        {
            c.Randomize(random);
        }

        var sums = new double[length];
        var scales = new double[length];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < length; i++)
            {
                sums[i] = accumulate ? c[r, i] : 0;
                scales[i] = Math.Abs(sums[i]);
            }

            for (int t = 0; t < depth; t++)
            {
                double x = a[r, t];
                for (int i = 0; i < length; i++)
                {
                    double term = x * b[t, i];
                    sums[i] += term;
                    scales[i] += Math.Abs(term);
                }
            }

            for (int i = 0; i < length; i++)
            {
                c.Expect(r, i, sums[i], scales[i]);
            }
        }

        Gemm.AxpyRows(ref a.Start, rowStride, colStride, ref b.Start, ldb, rows, depth, length, ref c.Start, ldc, accumulate);
        c.Check(Tolerance, $"{bits} bits, rows {rows}, depth {depth}, length {length}, A strides ({rowStride}, {colStride}), accumulate {accumulate}");
    }
}
