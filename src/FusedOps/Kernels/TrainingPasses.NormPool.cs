using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// BatchNorm's normalise pass with what follows it in the same sweep, sample by sample while each is in cache: a MaxPool2d (only
/// the pooled output and its arg-max are stored, not the full-size activation), and a residual whose saved tensor is itself a
/// BatchNorm output that was never stored (recomputed from that group's z). Each channel plane of each sample (each sample when the
/// planes are single values) runs the passes it replaces, in their order, on a per-part scratch: <see cref="ActivationPass.AffineForward"/>,
/// <see cref="ActivationPass.AffineAddForward"/>, <see cref="Pooling.MaxForward"/>, so the results are the same bits.
/// </content>
public static unsafe partial class TrainingPasses
{
    /// <summary>
    /// <see cref="BackwardReduce"/> without storing du: only BatchNorm's Σ du and Σ du·x̂ (the same bits), for a conv whose backward
    /// recomputes du as it reads it (<see cref="Conv2dTrainer.NormBackward"/>).
    /// </summary>
    public static void BackwardSums<TAct>(TAct act, ref float dy, ref float z, int n, int channels, int spatial, ref float scale, ref float shift,
        ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator =>
        BackwardReduce(act, ref dy, ref z, ref Unsafe.NullRef<float>(), n, channels, spatial, ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);

    /// <summary>
    /// <paramref name="dy"/> += <paramref name="saved"/> in place (where a saved tensor's gradient meets the main path's:
    /// <see cref="Add"/>'s arithmetic), then <see cref="BackwardSums"/> on it, sample by sample while each is in cache: the bits of the
    /// two passes, one read of dY fewer.
    /// </summary>
    public static void AddBackwardSums<TAct>(TAct act, ref float saved, ref float dy, ref float z, int n, int channels, int spatial, ref float scale,
        ref float shift, ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator
    {
        int parts = Parts(n, (long)channels * spatial);
        Job<TAct> job = Job<TAct>.Get(Kind.AddBackwardSums, act, n, channels, spatial);
        fixed (float* psaved = &saved, pdy = &dy, pz = &z, ps = &scale, pt = &shift, pm = &mean, pi = &invStd)
        {
            job.R = psaved;
            job.Dy = pdy;
            job.Z = pz;
            job.SetNorm(ps, pt, pm, pi);
            if (parts == 1)
            {
                job.AddBackwardSums(0, n, ref sumDu, ref sumDuXhat);
                job.Run(0);
                return;
            }

            job.Run(parts);
        }

        AddPartials(job.Partials, parts, channels, ref sumDu, ref sumDuXhat);
    }

    /// <summary>
    /// y = act(z·scale + shift) per channel, then MaxPool2d(<paramref name="g"/>) of y into <paramref name="pooled"/> with the
    /// arg-max of each window (its index in its input plane); y itself is not stored.
    /// </summary>
    public static void AffinePoolForward<TAct>(TAct act, ref float z, ref float pooled, ref int argMax, int n, int channels, ref float scale, ref float shift,
        Pooling.Window g)
        where TAct : struct, IActivationOperator
    {
        fixed (float* pz = &z, pp = &pooled, ps = &scale, pt = &shift)
        fixed (int* pa = &argMax)
        {
            NormJob<TAct, IdentityOperator> job = NormJob<TAct, IdentityOperator>.Get(act, default, n, channels, g.InPlane);
            job.Z = pz;
            job.Y = pp;
            job.ArgMax = pa;
            job.Scale = ps;
            job.Shift = pt;
            job.Pool = g;
            job.Run();
        }
    }

    /// <summary>
    /// u = z·scale + shift + r (stored) and y = act(u) per channel, then MaxPool2d(<paramref name="g"/>) of y into
    /// <paramref name="pooled"/> with its arg-max; y itself is not stored.
    /// </summary>
    public static void AffineAddPoolForward<TAct>(TAct act, ref float z, ref float r, ref float u, ref float pooled, ref int argMax, int n, int channels,
        ref float scale, ref float shift, Pooling.Window g)
        where TAct : struct, IActivationOperator
    {
        fixed (float* pz = &z, pr = &r, pu = &u, pp = &pooled, ps = &scale, pt = &shift)
        fixed (int* pa = &argMax)
        {
            NormJob<TAct, IdentityOperator> job = NormJob<TAct, IdentityOperator>.Get(act, default, n, channels, g.InPlane);
            job.Z = pz;
            job.R = pr;
            job.U = pu;
            job.Y = pp;
            job.ArgMax = pa;
            job.Scale = ps;
            job.Shift = pt;
            job.Pool = g;
            job.Run();
        }
    }

    /// <summary>
    /// <see cref="ActivationPass.AffineAddForward"/> (u stored, y = act(u) stored) whose residual is another BatchNorm's output that was
    /// never stored: r = residualAct(residualZ·residualScale + residualShift), recomputed per sample.
    /// </summary>
    public static void AffineAddNormForward<TAct, TRes>(TAct act, ref float z, TRes residualAct, ref float residualZ, ref float residualScale,
        ref float residualShift, ref float u, ref float y, int n, int channels, int spatial, ref float scale, ref float shift)
        where TAct : struct, IActivationOperator
        where TRes : struct, IActivationOperator
    {
        fixed (float* pz = &z, prz = &residualZ, prs = &residualScale, prt = &residualShift, pu = &u, py = &y, ps = &scale, pt = &shift)
        {
            NormJob<TAct, TRes> job = NormJob<TAct, TRes>.Get(act, residualAct, n, channels, spatial);
            job.Z = pz;
            job.RZ = prz;
            job.RScale = prs;
            job.RShift = prt;
            job.U = pu;
            job.Y = py;
            job.Scale = ps;
            job.Shift = pt;
            job.Run();
        }
    }

    /// <summary><see cref="AffineAddNormForward"/> followed by MaxPool2d(<paramref name="g"/>) as in <see cref="AffinePoolForward"/>: y not stored.</summary>
    public static void AffineAddNormPoolForward<TAct, TRes>(TAct act, ref float z, TRes residualAct, ref float residualZ, ref float residualScale,
        ref float residualShift, ref float u, ref float pooled, ref int argMax, int n, int channels, ref float scale, ref float shift, Pooling.Window g)
        where TAct : struct, IActivationOperator
        where TRes : struct, IActivationOperator
    {
        fixed (float* pz = &z, prz = &residualZ, prs = &residualScale, prt = &residualShift, pu = &u, pp = &pooled, ps = &scale, pt = &shift)
        fixed (int* pa = &argMax)
        {
            NormJob<TAct, TRes> job = NormJob<TAct, TRes>.Get(act, residualAct, n, channels, g.InPlane);
            job.Z = pz;
            job.RZ = prz;
            job.RScale = prs;
            job.RShift = prt;
            job.U = pu;
            job.Y = pp;
            job.ArgMax = pa;
            job.Scale = ps;
            job.Shift = pt;
            job.Pool = g;
            job.Run();
        }
    }

    // The call in progress: pointers into the caller's pinned arrays, valid only during Run; a scratch per part.
    private sealed class NormJob<TAct, TRes> : ParallelJob
        where TAct : struct, IActivationOperator
        where TRes : struct, IActivationOperator
    {
        [ThreadStatic]
        private static NormJob<TAct, TRes>? t_job;

        private readonly float[]?[] _scratch = new float[MaxParts][];
        private TAct _act;
        private TRes _residualAct;
        private int _n, _channels, _spatial, _parts;

        public float* Z, R, RZ, RScale, RShift, U, Y, Scale, Shift;
        public int* ArgMax;
        public Pooling.Window? Pool;

        public static NormJob<TAct, TRes> Get(TAct act, TRes residualAct, int n, int channels, int spatial)
        {
            NormJob<TAct, TRes> job = t_job ??= new NormJob<TAct, TRes>();
            job._act = act;
            job._residualAct = residualAct;
            job._n = n;
            job._channels = channels;
            job._spatial = spatial;
            return job;
        }

        public void Run()
        {
            _parts = Parts(_n, (long)_channels * _spatial);
            try
            {
                if (_parts == 1)
                {
                    Execute(0);
                }
                else
                {
                    ParallelWork.Run(this, _parts);
                }
            }
            finally
            {
                Z = R = RZ = RScale = RShift = U = Y = Scale = Shift = null;
                ArgMax = null;
                Pool = null;
            }
        }

        // y = act(z·scale + shift + residualAct(rz·rscale + rshift)) for `count` values, `spatial` a channel: ActivationPass.AffineForward's
        // residual and AffineAddForward's u and y, value for value (element-wise, the same value at every width), in one loop. Both z
        // come from L3 (batch-sized): their lines Prefetch.Distance ahead are asked for each step, as BackwardReduce's are. Measured on
        // the Fashion-MNIST sample's AffineAddNormPoolForward (batch 64 × 16 × 28 × 28, 1 thread, out of cache, thread CPU time,
        // alternating in one process, 2026-12-02, AMD EPYC Zen 3, AVX2): 1164 / 1027 / 1083 µs a pass without, 991 / 949 / 952 µs with
        // (medians of 150). One Prefetch.Ahead per plane for its lines instead was slower than none (1022 → 1183 µs).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void AffineAddNorm(TAct act, TRes res, ref float z, ref float rz, ref float y, int count, int spatial, ref float scale, ref float shift,
            ref float rscale, ref float rshift)
        {
            for (int c = 0, o = 0; o < count; c++, o += spatial)
            {
                float s = Unsafe.Add(ref scale, c), t = Unsafe.Add(ref shift, c), rs = Unsafe.Add(ref rscale, c), rt = Unsafe.Add(ref rshift, c);
                int i = 0;
                if (KernelDispatch.Level >= 1)
                {
                    Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t), vrs = Vector256.Create(rs), vrt = Vector256.Create(rt);
                    for (; i <= spatial - 8; i += 8)
                    {
                        Prefetch.Line(ref Unsafe.Add(ref z, o + i));
                        Prefetch.Line(ref Unsafe.Add(ref rz, o + i));

                        Vector256<float> r = res.Invoke((Vector256.LoadUnsafe(ref rz, (nuint)(o + i)) * vrs) + vrt);
                        act.Invoke((Vector256.LoadUnsafe(ref z, (nuint)(o + i)) * vs) + vt + r).StoreUnsafe(ref y, (nuint)(o + i));
                    }
                }
                else if (KernelDispatch.RuntimeBits == 128)
                {
                    // At 128 bits (SSE, AdvSimd) the same arithmetic 4 a step.
                    Vector128<float> vs = Vector128.Create(s), vt = Vector128.Create(t), vrs = Vector128.Create(rs), vrt = Vector128.Create(rt);
                    for (; i <= spatial - 4; i += 4)
                    {
                        Vector128<float> r = res.Invoke((Vector128.LoadUnsafe(ref rz, (nuint)(o + i)) * vrs) + vrt);
                        act.Invoke((Vector128.LoadUnsafe(ref z, (nuint)(o + i)) * vs) + vt + r).StoreUnsafe(ref y, (nuint)(o + i));
                    }
                }

                for (; i < spatial; i++)
                {
                    float r = res.Invoke((Unsafe.Add(ref rz, o + i) * rs) + rt);
                    Unsafe.Add(ref y, o + i) = act.Invoke((Unsafe.Add(ref z, o + i) * s) + t + r);
                }
            }
        }

        // ActivationPass.AffineForward at 256 bits for `count` values, `spatial` a channel (its 8-lane loop and scalar tail, value for
        // value), with z's lines Prefetch.Distance ahead asked for each step as in AffineAddNorm: the Fashion-MNIST sample's
        // AffinePoolForward (64 × 32 × 14 × 14, measured as above) took 495 / 467 / 464 µs through AffineForward, 419 / 400 / 391 µs here.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void AffinePrefetched(TAct act, ref float z, ref float y, int count, int spatial, ref float scale, ref float shift)
        {
            for (int c = 0, o = 0; o < count; c++, o += spatial)
            {
                float s = Unsafe.Add(ref scale, c), t = Unsafe.Add(ref shift, c);
                int i = 0;
                Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t);
                for (; i <= spatial - 8; i += 8)
                {
                    Prefetch.Line(ref Unsafe.Add(ref z, o + i));
                    act.Invoke((Vector256.LoadUnsafe(ref z, (nuint)(o + i)) * vs) + vt).StoreUnsafe(ref y, (nuint)(o + i));
                }

                for (; i < spatial; i++)
                {
                    Unsafe.Add(ref y, o + i) = act.Invoke((Unsafe.Add(ref z, o + i) * s) + t);
                }
            }
        }

        public override void Execute(int part)
        {
            (int s0, int s1) = ParallelWork.Slice(_n, _parts, part);
            int length = _channels * _spatial, c = _channels;
            bool recompute = RZ != null, pool = Pool.HasValue;
            // One channel plane at a time when the planes are planes (spatial > 1: each call then runs the per-plane loops the whole
            // sample's call ran, the same bits): the residual, u and y of one plane stay in L1 (a sample's three were 150 KB for the
            // Fashion-MNIST sample, so each sweep went out to L2). u not stored goes where y does, which overwrites it.
            int planes = _spatial > 1 ? c : 1, step = c / planes, span = step * _spatial;
            float[] scratch = _scratch[part] is { } kept && kept.Length >= 2 * span ? kept : _scratch[part] = new float[2 * span];
            for (int s = s0; s < s1; s++)
            {
                for (int p = 0; p < planes; p++)
                {
                    int ch = p * step;
                    long o = ((long)s * length) + ((long)ch * _spatial);
                    ref float r = ref R == null ? ref Unsafe.NullRef<float>() : ref R[o];
                    if (recompute && U != null)
                    {
                        ActivationPass.AffineForward(_residualAct, ref RZ[o], ref scratch[span], 1, step, _spatial, ref RScale[ch], ref RShift[ch]);
                        r = ref scratch[span];
                    }

                    ref float y = ref pool ? ref scratch[0] : ref Y[o];
                    if (recompute && U == null)
                    {
                        // The residual, u and y in one sweep (u not stored): no scratch plane for the residual written and read back.
                        AffineAddNorm(_act, _residualAct, ref Z[o], ref RZ[o], ref y, step * _spatial, _spatial, ref Scale[ch], ref Shift[ch], ref RScale[ch], ref RShift[ch]);
                    }
                    else if (Unsafe.IsNullRef(ref r) && KernelDispatch.Level == 1 && _spatial >= 8)
                    {
                        AffinePrefetched(_act, ref Z[o], ref y, step * _spatial, _spatial, ref Scale[ch], ref Shift[ch]);
                    }
                    else if (Unsafe.IsNullRef(ref r))
                    {
                        ActivationPass.AffineForward(_act, ref Z[o], ref y, 1, step, _spatial, ref Scale[ch], ref Shift[ch]);
                    }
                    else
                    {
                        ActivationPass.AffineAddForward(_act, ref Z[o], ref r, ref U == null ? ref y : ref U[o], ref y, 1, step, _spatial, ref Scale[ch], ref Shift[ch]);
                    }

                    if (pool)
                    {
                        Pooling.Window g = Pool!.Value;
                        long po = ((long)s * c * g.OutPlane) + ((long)ch * g.OutPlane);
                        Pooling.MaxForward(ref y, ref Y[po], ref ArgMax[po], step, g, true);
                    }
                }
            }
        }
    }
}
