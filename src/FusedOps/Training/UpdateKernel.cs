using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FusedOps.Kernels;

namespace FusedOps.Training;

/// <summary>
/// The per-element update of an optimiser as a struct the JIT specialises (TensorPrimitives'
/// operator pattern): the parameter, its gradient and up to three state tensors, one vector at a time.
/// </summary>
internal interface IUpdateKernel
{
    /// <summary>Updates one vector of parameters <paramref name="p"/> and states <paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/> from gradients <paramref name="g"/>.</summary>
    void Apply(ref Vector<float> p, Vector<float> g, ref Vector<float> a, ref Vector<float> b, ref Vector<float> c);
}

/// <summary>The one driver every optimiser runs: one fused pass over a tensor and its state.</summary>
internal static class UpdateLoop
{
    /// <summary>
    /// Applies <paramref name="kernel"/> to every element of <paramref name="p"/>. State spans are
    /// either as long as <paramref name="p"/> or empty (then the kernel sees zeros and nothing is
    /// stored). The tail goes through the same vector code on a zero-padded copy, so every element
    /// gets bitwise the same arithmetic wherever it sits (no separate scalar path to drift).
    /// </summary>
    public static void Run<TKernel>(in TKernel kernel, Span<float> p, ReadOnlySpan<float> g, Span<float> a, Span<float> b, Span<float> c)
        where TKernel : struct, IUpdateKernel
    {
        int threads = ParallelWork.ThreadsFor(p.Length, UpdateJob<TKernel>.MinPerPart);
        if (threads > 1)
        {
            UpdateJob<TKernel>.Run(kernel, p, g, a, b, c, threads);
            return;
        }

        RunSerial(kernel, p, g, a, b, c);
    }

    /// <summary><see cref="Run"/> on the calling thread.</summary>
    internal static void RunSerial<TKernel>(in TKernel kernel, Span<float> p, ReadOnlySpan<float> g, Span<float> a, Span<float> b, Span<float> c)
        where TKernel : struct, IUpdateKernel
    {
        int width = Vector<float>.Count, n = p.Length, j = 0;
        bool hasA = !a.IsEmpty, hasB = !b.IsEmpty, hasC = !c.IsEmpty;
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        ref float rc = ref MemoryMarshal.GetReference(c);
        for (; j <= n - width; j += width)
        {
            Vector<float> vp = Simd.Load(ref rp, j), vg = Simd.Load(ref rg, j);
            Vector<float> va = hasA ? Simd.Load(ref ra, j) : default;
            Vector<float> vb = hasB ? Simd.Load(ref rb, j) : default;
            Vector<float> vc = hasC ? Simd.Load(ref rc, j) : default;
            kernel.Apply(ref vp, vg, ref va, ref vb, ref vc);
            Simd.Store(vp, ref rp, j);
            if (hasA)
            {
                Simd.Store(va, ref ra, j);
            }

            if (hasB)
            {
                Simd.Store(vb, ref rb, j);
            }

            if (hasC)
            {
                Simd.Store(vc, ref rc, j);
            }
        }

        if (j < n)
        {
            Tail(kernel, p[j..], g[j..], hasA ? a[j..] : default, hasB ? b[j..] : default, hasC ? c[j..] : default);
        }
    }

    private static void Tail<TKernel>(in TKernel kernel, Span<float> p, ReadOnlySpan<float> g, Span<float> a, Span<float> b, Span<float> c)
        where TKernel : struct, IUpdateKernel
    {
        int width = Vector<float>.Count;
        Span<float> scratch = stackalloc float[5 * width];
        scratch.Clear();
        Span<float> sp = scratch[..width], sg = scratch.Slice(width, width), sa = scratch.Slice(2 * width, width);
        Span<float> sb = scratch.Slice(3 * width, width), sc = scratch.Slice(4 * width, width);
        p.CopyTo(sp);
        g.CopyTo(sg);
        a.CopyTo(sa);
        b.CopyTo(sb);
        c.CopyTo(sc);
        Vector<float> vp = new(sp), vg = new(sg), va = new(sa), vb = new(sb), vc = new(sc);
        kernel.Apply(ref vp, vg, ref va, ref vb, ref vc);
        vp.CopyTo(sp);
        va.CopyTo(sa);
        vb.CopyTo(sb);
        vc.CopyTo(sc);
        sp[..p.Length].CopyTo(p);
        sa[..a.Length].CopyTo(a);
        sb[..b.Length].CopyTo(b);
        sc[..c.Length].CopyTo(c);
    }
}
