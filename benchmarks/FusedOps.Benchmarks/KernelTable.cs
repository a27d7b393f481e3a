using System;
using FusedOps.Kernels;

namespace FusedOps.Benchmarks;

/// <summary>
/// The Linear kernels alone, on case M's first layer (64 × 784 → 256) and case S1's (16 × 64 → 32):
/// <c>LinearKernels.MatMulNT</c> (what generated code calls: W unpacked, bias added) against
/// <c>PackedGemm.Multiply</c> on W packed once (what a Freeze-time packing gives), and the packing itself.
/// </summary>
internal static class KernelTable
{
    public static void Run(double peak)
    {
        Console.WriteLine("Linear kernels alone (y = x·Wᵀ + b), 1 and 2 threads:");
        var sampler = new Sampler();
        var table = new Table("shape (rows × in → out)", "kernel", "threads", "time", "GFLOP/s", "of peak");
        var rows = new System.Collections.Generic.List<(string Shape, string Kernel, Sampler.Row Row, long Flops)>();
        foreach ((int m, int k, int n) in new[] { (64, 784, 256), (16, 64, 32), (64, 256, 10) })
        {
            var random = new Random(1);
            float[] x = Fill(random, m * k), w = Fill(random, n * k), bias = Fill(random, n), y = new float[m * n];
            float[] packed = new float[PackedGemm.PackedLength(k, n)];
            PackedGemm.PackTransposed(w, n, k, packed);
            string shape = $"{m} × {k} → {n}";
            long flops = 2L * m * k * n;
            foreach (int threads in new[] { 1, 2 })
            {
                rows.Add((shape, "LinearKernels.MatMulNT", sampler.Add(() => LinearKernels.MatMulNT(ref x[0], m, ref w[0], n, k, ref y[0], bias), threads), flops));
                rows.Add((shape, "PackedGemm.Multiply", sampler.Add(() => PackedGemm.Multiply(x, m, k, k, 1, packed, n, y, n, [], bias, false), threads), flops));
            }

            rows.Add((shape, "PackedGemm.PackTransposed", sampler.Add(() => PackedGemm.PackTransposed(w, n, k, packed), 1), 0));

            // The weight gradient dW += dYᵀ·X: what generated code calls (Gemm.AxpyRows) and PackedGemm on X packed per call.
            float[] dy = Fill(random, m * n), dw = new float[n * k], packedX = new float[PackedGemm.PackedLength(m, k)];
            string gradient = $"dW: {n} × {m} → {k}";
            rows.Add((gradient, "Gemm.AxpyRows", sampler.Add(() => Gemm.AxpyRows(ref dy[0], 1, n, ref x[0], k, n, m, k, ref dw[0], k, true), 1), flops));
            rows.Add((gradient, "PackedGemm.Pack + Multiply", sampler.Add(() =>
            {
                PackedGemm.Pack(x, m, k, k, packedX);
                PackedGemm.Multiply(dy, n, m, 1, n, packedX, k, dw, k, [], [], true);
            }, 1), flops));
        }

        sampler.Measure(5);
        foreach (var (shape, kernel, row, flops) in rows)
        {
            double s = row.Seconds;
            table.Add(shape, kernel, $"{row.Threads}", s >= 1e-3 ? $"{s * 1e3:F3} ms" : $"{s * 1e6:F2} µs",
                flops == 0 ? "" : $"{flops / s / 1e9:F1}", flops == 0 ? "" : $"{flops / s / 1e9 / peak * 100:F0}%");
        }

        table.Print();
    }

    private static float[] Fill(Random random, int length)
    {
        float[] v = new float[length];
        for (int i = 0; i < length; i++)
        {
            v[i] = (random.NextSingle() * 2) - 1;
        }

        return v;
    }
}
