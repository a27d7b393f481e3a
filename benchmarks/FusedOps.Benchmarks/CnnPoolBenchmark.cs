using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Benchmarks.Onnx;

namespace FusedOps.Benchmarks;

/// <summary>
/// <c>--quick cnn</c>: case P (Conv + BN + ReLU + MaxPool2d(2), as planned: the conv on Winograd, the pool in its own pass) against the same layers with
/// the pool in its own pass and against ONNX Runtime, at 1 and 2 threads; case P3 (MaxPool2d(3), pooled over bands of
/// output rows in the conv's pass) against its pool in its own pass; and the Fashion-MNIST convolutions with and
/// without their residual Add. Medians of alternating rounds, all in this run.
/// </summary>
internal static class CnnPoolBenchmark
{
    private const int Rounds = 9;

    public static int Run()
    {
        Console.WriteLine("CNN with MaxPool (case P: Conv2d 16→32 3×3 p1 + BN + ReLU + MaxPool2d(2), 8×16×32×32), Frozen.Infer; ratio = other ÷ P as planned, above 1 = P faster.");
        Console.WriteLine("P as planned: the convolution takes Winograd (at 512 and 256 bits) and the pool its own vectorised pass; P3's MaxPool2d(3) rides the convolution's epilogue.");
        var sampler = new Sampler();
        var disposables = new List<IDisposable>();
        bool agree = true;
        var p = new ConvPoolBlock(1);
        var pCase = new CnnCase(p, p.Freeze, 8);
        var s = new ConvThenPoolBlock(1);
        var separate = new CnnCase(s, s.Freeze, 8);
        var p3 = new ConvPool3Block(1);
        var p3Case = new CnnCase(p3, p3.Freeze, 8);
        var s3 = new ConvThenPool3Block(1);
        var separate3 = new CnnCase(s3, s3.Freeze, 8);
        var f = new FashionConvs(1);
        var fashion = new CnnCase(f, f.Freeze, 64);
        var n = new FashionConvsNoAdd(1);
        var fashionNoAdd = new CnnCase(n, n.Freeze, 64);
        var fn = new FashionNetCopy(1);
        var net = new CnnCase(fn, fn.Freeze, 64);
        var fnn = new FashionNetCopyNoAdd(1);
        var netNoAdd = new CnnCase(fnn, fnn.Freeze, 64);
        float[] expected = pCase.ReferenceOutput();
        var checks = new List<(string What, double Difference)>();
        foreach ((string name, CnnCase c) in new[] { ("P", pCase), ("P separate pool", separate) })
        {
            c.FrozenInfer();
            checks.Add((name, Difference(name == "P" ? expected : c.ReferenceOutput(), c.Output)));
        }

        foreach ((string name, CnnCase c) in new[] { ("Fashion convs", fashion), ("Fashion convs, no Add", fashionNoAdd), ("P3 fused", p3Case), ("P3 separate pool", separate3) })
        {
            c.FrozenInfer();
            checks.Add((name, Difference(c.ReferenceOutput(), c.Output)));
        }

        var rows = new List<(string Name, Sampler.Row Row, long Flops)>
        {
            ("P as planned, 1 thread", sampler.Add(pCase.FrozenInfer, 1), pCase.Flops),
            ("P as planned, 2 threads", sampler.Add(pCase.FrozenInfer, 2), pCase.Flops),
            ("P pool in its own pass, 1 thread", sampler.Add(separate.FrozenInfer, 1), pCase.Flops),
            ("P3 (MaxPool2d(3)) fused, 1 thread", sampler.Add(p3Case.FrozenInfer, 1), p3Case.Flops),
            ("P3 pool in its own pass, 1 thread", sampler.Add(separate3.FrozenInfer, 1), p3Case.Flops),
            ("P3 fused, 2 threads", sampler.Add(p3Case.FrozenInfer, 2), p3Case.Flops),
            ("P3 pool in its own pass, 2 threads", sampler.Add(separate3.FrozenInfer, 2), p3Case.Flops),
        };
        foreach (int threads in new[] { 1, 2 })
        {
            float[] output = new float[pCase.Output.Length];
            try
            {
                var onnx = new OnnxPipeline(pCase.Model, pCase.Layers, pCase.Input, output, pCase.Batch, threads);
                disposables.Add(onnx);
                onnx.Infer();
                checks.Add(($"ORT {threads}T", Difference(expected, output)));
                rows.Add(($"P ONNX Runtime, {threads} thread{(threads > 1 ? "s" : "")}", sampler.Add(onnx.Infer, 1), pCase.Flops));
            }
            catch (Exception e) when (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
            {
                Console.WriteLine($"ONNX Runtime skipped: {e.GetType().Name}: {e.Message}");
            }
        }

        rows.Add(("Fashion convs (with Add), batch 64, 1 thread", sampler.Add(fashion.FrozenInfer, 1), fashion.Flops));
        rows.Add(("Fashion convs without Add, batch 64, 1 thread", sampler.Add(fashionNoAdd.FrozenInfer, 1), fashionNoAdd.Flops));
        rows.Add(("Fashion convs (with Add), batch 64, 2 threads", sampler.Add(fashion.FrozenInfer, 2), fashion.Flops));
        rows.Add(("Fashion net (with Add), batch 64, 1 thread", sampler.Add(net.FrozenInfer, 1), net.Flops));
        rows.Add(("Fashion net (with Add), batch 64, 2 threads", sampler.Add(net.FrozenInfer, 2), net.Flops));
        rows.Add(("Fashion net without Add, batch 64, 1 thread", sampler.Add(netNoAdd.FrozenInfer, 1), netNoAdd.Flops));
        sampler.Measure(Rounds);
        foreach (IDisposable d in disposables)
        {
            d.Dispose();
        }

        double p1 = rows[0].Row.Seconds;
        Table table = new("row", "time", "GFLOP/s", "÷ P 1T");
        foreach ((string name, Sampler.Row row, long flops) in rows)
        {
            table.Add(name, Time(row.Seconds), $"{flops / row.Seconds / 1e9:F1}", $"{row.Seconds / p1:F2}");
        }

        table.Print();
        Console.WriteLine($"Outputs vs the reference (largest |difference| ÷ largest |output|): {string.Join(", ", checks.Select(c => $"{c.What} {c.Difference:0.0e+0}"))}");
        Console.WriteLine();
        agree &= checks.All(c => c.Difference <= 1e-3);
        return agree ? 0 : 1;
    }

    private static double Difference(float[] expected, float[] actual)
    {
        double max = 0, scale = 1e-30;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)expected[i] - actual[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }

        return max / scale;
    }

    private static string Time(double seconds) => seconds >= 1e-3 ? $"{seconds * 1e3:F3} ms" : $"{seconds * 1e6:F2} µs";
}
