using System;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="PackedGemm"/> against a naive product in double at every vector width (512, 256, 128,
/// scalar), on sizes that are not multiples of any vector or tile width (1, primes), with A row-major
/// and transposed, B packed both ways, and every part of the epilogue; bitwise equality across
/// degrees of parallelism; no allocation per call.
/// </summary>
[Collection("KernelLevel")]
public class PackedGemmTests
{
    private static readonly (int Rows, int Cols, int Depth)[] Sizes =
        [(1, 1, 1), (1, 17, 3), (2, 5, 7), (3, 35, 9), (5, 16, 13), (6, 32, 16), (7, 33, 31), (13, 47, 2), (14, 40, 5), (16, 48, 11), (19, 10, 97),
        (37, 64, 29), (64, 40, 19), (65, 33, 23)];

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void Multiply_OddSizesBothLayoutsWithEpilogue_MatchesNaive(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(5);
        foreach ((int rows, int cols, int depth) in Sizes)
        {
            foreach (bool transposedA in new[] { false, true })
            {
                foreach (bool epilogue in new[] { false, true })
                {
                    // A as rows × depth row-major, or read through dYᵀ strides from a depth × rows buffer.
                    float[] a = Random(random, rows * depth);
                    (int rs, int cs) = transposedA ? (1, rows) : (depth, 1);
                    float[] w = Random(random, cols * depth);               // W[j, t]: B = Wᵀ
                    float[] packed = new float[PackedGemm.PackedLength(depth, cols) + 3];
                    PackedGemm.PackTransposed(w, cols, depth, packed);
                    float[] scale = epilogue ? Random(random, cols) : [], shift = epilogue ? Random(random, cols) : [];
                    int ldc = cols + 3;
                    float[] c = Random(random, (rows * ldc) + 2);
                    float[] before = (float[])c.Clone();
                    if (epilogue)
                    {
                        PackedGemm.Multiply(new TestRelu(), a, rows, depth, rs, cs, packed, cols, c, ldc, scale, shift, accumulate: true);
                    }
                    else
                    {
                        PackedGemm.Multiply(a, rows, depth, rs, cs, packed, cols, c, ldc, [], [], accumulate: false);
                    }

                    for (int r = 0; r < rows; r++)
                    {
                        for (int j = 0; j < ldc; j++)
                        {
                            float actual = c[(r * ldc) + j];
                            if (j >= cols)
                            {
                                Assert.Equal(before[(r * ldc) + j], actual); // padding of C untouched
                                continue;
                            }

                            double sum = 0, magnitude = 0;
                            for (int t = 0; t < depth; t++)
                            {
                                double term = (double)a[(r * rs) + (t * cs)] * w[(j * depth) + t];
                                sum += term;
                                magnitude += Math.Abs(term);
                            }

                            double expected = epilogue ? Math.Max(0, (sum * scale[j]) + shift[j] + before[(r * ldc) + j]) : sum;
                            double bound = ((depth + 4) * 1.2e-7 * (magnitude + 1)) + 1e-7;
                            Assert.True(Math.Abs(expected - actual) <= bound,
                                $"{bits} bits, {rows}×{cols}×{depth}, transposedA {transposedA}, epilogue {epilogue}: C[{r},{j}] = {actual}, expected {expected}");
                        }
                    }

                    Assert.Equal(before[^2..], c[^2..]); // nothing written past the last row
                }
            }
        }
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void MatMulNT_BelowAndAbovePackingThreshold_MatchesNaive(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(6);
        foreach ((int rows, int cols, int depth) in new[] { (1, 10, 784), (7, 13, 5), (8, 13, 5), (9, 33, 17), (64, 10, 37), (23, 1, 3) })
        {
            float[] x = Random(random, rows * depth), w = Random(random, cols * depth), bias = Random(random, cols), y = new float[rows * cols];
            LinearKernels.MatMulNT(ref x[0], rows, ref w[0], cols, depth, ref y[0], bias);
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < cols; j++)
                {
                    double sum = bias[j], magnitude = Math.Abs(bias[j]);
                    for (int t = 0; t < depth; t++)
                    {
                        double term = (double)x[(r * depth) + t] * w[(j * depth) + t];
                        sum += term;
                        magnitude += Math.Abs(term);
                    }

                    Assert.True(Math.Abs(sum - y[(r * cols) + j]) <= ((depth + 2) * 1.2e-7 * magnitude) + 1e-7, $"{bits} bits, {rows}×{cols}×{depth}: y[{r},{j}] = {y[(r * cols) + j]}, expected {sum}");
                }
            }
        }
    });

    [Fact]
    public void Pack_RowMajorB_EqualsPackTransposedOfItsTranspose()
    {
        var random = new Random(2);
        const int depth = 11, cols = 37, ldb = 40;
        float[] b = Random(random, depth * ldb);
        float[] w = new float[cols * depth];
        for (int t = 0; t < depth; t++)
        {
            for (int j = 0; j < cols; j++)
            {
                w[(j * depth) + t] = b[(t * ldb) + j];
            }
        }

        // The second buffer one float further on, so the two start their panels at different offsets.
        float[] fromB = new float[PackedGemm.PackedLength(depth, cols)], fromW = new float[fromB.Length + 1];
        fromB.AsSpan().Fill(float.NaN);
        fromW.AsSpan().Fill(float.NaN);
        PackedGemm.Pack(b, depth, cols, ldb, fromB);
        PackedGemm.PackTransposed(w, cols, depth, fromW.AsSpan(1));
        int panels = 3 * depth * PackedGemm.PanelWidth;
        Assert.Equal(panels + 16, fromB.Length);
        float[] dataB = Panels(fromB, panels), dataW = Panels(fromW.AsSpan(1), panels);
        Assert.Equal(dataW, dataB);
        Assert.All(dataB.AsSpan(2 * depth * PackedGemm.PanelWidth).ToArray().Chunk(PackedGemm.PanelWidth), row => Assert.All(row[5..], v => Assert.Equal(0f, v)));
    }

    [Fact]
    public void Pack_PinnedBuffer_PanelsStartOnA64ByteBoundary()
    {
        const int depth = 9, cols = 21;
        float[] w = Random(new Random(8), cols * depth);
        float[] buffer = GC.AllocateArray<float>(PackedGemm.PackedLength(depth, cols) + 16, pinned: true);
        GCHandle handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            for (int start = 0; start < 16; start++)
            {
                Span<float> packed = buffer.AsSpan(start);
                PackedGemm.PackTransposed(w, cols, depth, packed);
                int offset = (int)packed[PackedGemm.PackedLength(depth, cols) - 1];
                Assert.InRange(offset, 0, 15);
                Assert.Equal(0, (handle.AddrOfPinnedObject() + ((start + offset) * sizeof(float))) % 64);
                Assert.Equal(w[0], packed[offset]); // W[0, 0] and W[1, 0] lead the first panel
                Assert.Equal(w[depth], packed[offset + 1]);
            }
        }
        finally
        {
            handle.Free();
        }
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(0)]
    public void Multiply_PackedBufferMoved_BitwiseSameProduct(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        // A buffer the GC moves keeps its contents, not its alignment: a copy at every other offset must give the same product.
        var random = new Random(9);
        const int rows = 17, cols = 40, depth = 33;
        float[] a = Random(random, rows * depth), w = Random(random, cols * depth), shift = Random(random, cols);
        float[] packed = new float[PackedGemm.PackedLength(depth, cols)];
        PackedGemm.PackTransposed(w, cols, depth, packed);
        float[] expected = new float[rows * cols];
        PackedGemm.Multiply(new TestRelu(), a, rows, depth, depth, 1, packed, cols, expected, cols, [], shift, accumulate: false);
        for (int start = 1; start < 16; start++)
        {
            float[] moved = new float[packed.Length + start];
            packed.CopyTo(moved, start);
            float[] c = new float[rows * cols];
            PackedGemm.Multiply(new TestRelu(), a, rows, depth, depth, 1, moved.AsSpan(start), cols, c, cols, [], shift, accumulate: false);
            Assert.True(expected.AsSpan().SequenceEqual(c), $"{bits} bits: the buffer moved by {start} floats gives another product");
        }
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void Multiply_AnyDegreeOfParallelism_BitwiseIdentical(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(3);
        // Many panels (split over columns) and few panels (split over rows); both large enough to go parallel.
        foreach ((int rows, int cols, int depth) in new[] { (67, 161, 301), (301, 10, 787) })
        {
            float[] a = Random(random, rows * depth), w = Random(random, cols * depth), shift = Random(random, cols);
            float[] packed = new float[PackedGemm.PackedLength(depth, cols)];
            PackedGemm.PackTransposed(w, cols, depth, packed);
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                float[] c = new float[rows * cols];
                KernelLevelCollection.AtThreads(threads, () => PackedGemm.Multiply(new TestRelu(), a, rows, depth, depth, 1, packed, cols, c, cols, [], shift, accumulate: false));
                first ??= c;
                Assert.True(first.AsSpan().SequenceEqual(c), $"{bits} bits, {rows}×{cols}×{depth}: {threads} threads differ from 1");
            }
        }
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Multiply_SteadyState_AllocatesNothing(int threads) => KernelLevelCollection.AtThreads(threads, () =>
    {
        var random = new Random(4);
        const int rows = 64, cols = 256, depth = 784;
        float[] a = Random(random, rows * depth), packed = new float[PackedGemm.PackedLength(depth, cols)], c = new float[rows * cols], shift = Random(random, cols);
        PackedGemm.PackTransposed(Random(random, cols * depth), cols, depth, packed);
        PackedGemm.Multiply(new TestRelu(), a, rows, depth, depth, 1, packed, cols, c, cols, [], shift, accumulate: false);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            PackedGemm.Multiply(new TestRelu(), a, rows, depth, depth, 1, packed, cols, c, cols, [], shift, accumulate: false);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    });

    [Fact]
    public void Multiply_BadArguments_ThrowBeforeWriting()
    {
        float[] a = new float[12], packed = new float[PackedGemm.PackedLength(4, 5)], c = new float[15];
        c.AsSpan().Fill(7);
        var e = Assert.Throws<ArgumentException>(() => PackedGemm.Multiply(a, 3, 4, 4, 1, packed.AsSpan(1), 5, c, 5, [], [], false));
        Assert.Equal("packedB", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PackedGemm.Multiply(a, 4, 4, 4, 1, packed, 5, c, 5, [], [], false));
        Assert.Equal("a", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PackedGemm.Multiply(a, 3, 4, 4, 1, packed, 5, c.AsSpan(1), 5, [], [], false));
        Assert.Equal("c", e.ParamName);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => PackedGemm.Multiply(a, 3, 4, 4, 1, packed, 5, c, 4, [], [], false));
        Assert.Equal("ldc", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PackedGemm.Multiply(new TestRelu(), a, 3, 4, 4, 1, packed, 5, c, 5, new float[4], [], false));
        Assert.Equal("scale", e.ParamName);
        Assert.All(c, v => Assert.Equal(7f, v));
    }

    // The panels of a packed buffer: `length` floats from the offset its last float records.
    private static float[] Panels(ReadOnlySpan<float> packed, int length) => packed.Slice((int)packed[length + 15], length).ToArray();

    // Uniform in [-1, 1); PackedGemmUnitTilesTests draws its data here too.
    internal static float[] Random(Random random, int length)
    {
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (random.NextSingle() * 2) - 1;
        }

        return values;
    }

    // ReLU as an operator struct, private to the test (the library's operators are another helper's).
    private readonly struct TestRelu : IActivationOperator
    {
        public float Invoke(float x) => Math.Max(x, 0);

        public Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);

        public Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);

        public Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);

        public float Backward(float g, float u) => u > 0 ? g : 0;

        public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => Vector128.ConditionalSelect(Vector128.GreaterThan(u, Vector128<float>.Zero), g, Vector128<float>.Zero);

        public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => Vector256.ConditionalSelect(Vector256.GreaterThan(u, Vector256<float>.Zero), g, Vector256<float>.Zero);

        public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => Vector512.ConditionalSelect(Vector512.GreaterThan(u, Vector512<float>.Zero), g, Vector512<float>.Zero);
    }
}
