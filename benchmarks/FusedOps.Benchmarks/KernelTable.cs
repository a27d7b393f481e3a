using System;
using FusedOps.Kernels;

namespace FusedOps.Benchmarks;

/// <summary>
/// The Linear kernels alone, on case M's first layer (64 × 784 → 256) and case S1's (16 × 64 → 32):
/// <c>LinearKernels.MatMulNT</c> (what generated code calls: W unpacked, bias added) against
/// <c>PackedGemm.Multiply</c> on W packed once (what a Freeze-time packing gives), the packing itself, and the
/// backward products: the weight gradient and the input gradient, each as generated code runs it and the alternative.
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

            // A Linear + GELU training step without BatchNorm: layer by layer (the product, then the activation pass; backward the
            // derivative pass, then Σ dB) against the fused kernels (the activation in the GEMM's epilogue; dZ and Σ dB in one pass).
            var gelu = default(GeluOperator);
            float[] z = new float[m * n], g = Fill(random, m * n), dz = new float[m * n], db = new float[n];
            string train = $"train {shape} + GELU";
            foreach (int threads in new[] { 1, 2 })
            {
                rows.Add((train, "MatMulNT, then ActivationPass", sampler.Add(() =>
                {
                    LinearKernels.MatMulNT(ref x[0], m, ref w[0], n, k, ref z[0], bias);
                    ActivationPass.Forward(gelu, ref z[0], ref y[0], m * n);
                }, threads), flops));
                rows.Add((train, "LinearKernels.TrainForward", sampler.Add(() =>
                    LinearKernels.TrainForward(gelu, ref x[0], m, w, n, k, ref z[0], ref y[0], bias, ColumnOperator.None, []), threads), flops));
            }

            rows.Add(($"train dZ, dB: {m} × {n} GELU'", "TrainingPasses.Backward, then ColumnSums", sampler.Add(() =>
            {
                TrainingPasses.Backward(gelu, ref g[0], ref z[0], ref dz[0], m, n);
                Gemm.ColumnSums(ref dz[0], m, n, ref db[0]);
            }, 1), 0));
            rows.Add(($"train dZ, dB: {m} × {n} GELU'", "LinearKernels.ActivationGradient", sampler.Add(() =>
                LinearKernels.ActivationGradient(gelu, ref g[0], ref z[0], ref dz[0], m, n, db), 1), 0));

            // The weight gradient dW += dYᵀ·X: Gemm.AxpyRows, PackedGemm on X packed per call, and what generated code calls
            // (LinearKernels.WeightGradient: AxpyRows with its rows split over threads).
            float[] dy = Fill(random, m * n), dw = new float[n * k], packedX = new float[PackedGemm.PackedLength(m, k)];
            string gradient = $"dW: {n} × {m} → {k}";
            rows.Add((gradient, "Gemm.AxpyRows", sampler.Add(() => Gemm.AxpyRows(ref dy[0], 1, n, ref x[0], k, n, m, k, ref dw[0], k, true), 1), flops));
            rows.Add((gradient, "PackedGemm.Pack + Multiply", sampler.Add(() =>
            {
                PackedGemm.Pack(x, m, k, k, packedX);
                PackedGemm.Multiply(dy, n, m, 1, n, packedX, k, dw, k, [], [], true);
            }, 1), flops));
            foreach (int threads in new[] { 1, 2 })
            {
                rows.Add((gradient, "LinearKernels.WeightGradient", sampler.Add(() => LinearKernels.WeightGradient(ref dy[0], m, ref x[0], n, k, ref dw[0]), threads), flops));
            }

            // The input gradient dX = dY·W: Gemm.AxpyRows on W as it is, PackedGemm on W packed per call, and what generated code calls
            // (LinearKernels.InputGradient: AxpyRows with its rows split over threads).
            float[] dx = new float[m * k];
            string input = $"dX: {m} × {n} → {k}";
            rows.Add((input, "Gemm.AxpyRows", sampler.Add(() => Gemm.AxpyRows(ref dy[0], n, 1, ref w[0], k, m, n, k, ref dx[0], k, false), 1), flops));
            float[] packedW = new float[PackedGemm.PackedLength(n, k)];
            rows.Add((input, "PackedGemm.Pack + Multiply", sampler.Add(() =>
            {
                PackedGemm.Pack(w, n, k, k, packedW);
                PackedGemm.Multiply(dy, m, n, n, 1, packedW, k, dx, k, [], [], false);
            }, 1), flops));
            foreach (int threads in new[] { 1, 2 })
            {
                rows.Add((input, "LinearKernels.InputGradient", sampler.Add(() => LinearKernels.InputGradient(ref dy[0], m, ref w[0], n, k, ref dx[0]), threads), flops));
            }
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
