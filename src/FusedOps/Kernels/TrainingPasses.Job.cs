using System;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>The job that runs one slice of samples of a pass.</content>
public static unsafe partial class TrainingPasses
{
    private enum Kind
    {
        AffineForward,
        AffineAddForward,
        BackwardReduce,
        AddBackwardReduce,
        AddBackwardSums,
        PoolBackwardSums,
        PoolMaskSums,
        BackwardApply,
        Backward,
        Add,
        MaxForward,
        MaxForwardSave,
        MaxBackward,
    }

    // The call in progress: pointers into the caller's pinned arrays, valid only during Run.
    private sealed class Job<TAct> : ParallelJob
        where TAct : struct, IActivationOperator
    {
        [ThreadStatic]
        private static Job<TAct>? t_job;

        private Kind _kind;
        private TAct _act;
        private int _n, _channels, _spatial, _parts;

        public float* Z, Y, R, U, Dy, Scale, Shift, Mean, InvStd;
        public double* SumDu, SumDuXhat;
        public int* ArgMax;
        public int GammaLength;
        public bool Overwrite;
        public long Count;
        public Pooling.Window Window;
        public double[] Partials = [];

        // Set for PoolAddNormBackwardReduce: u is recomputed per sample instead of read from R.
        public ResidualSum? Sum;

        // Per part: one sample's input gradient of a MaxPool2d run in the residual reduction (PoolAddBackwardReduce).
        private readonly float[]?[] _scratch = new float[MaxParts][];

        public static Job<TAct> Get(Kind kind, TAct act, int n, int channels, int spatial)
        {
            Job<TAct> job = t_job ??= new Job<TAct>();
            (job._kind, job._act, job._n, job._channels, job._spatial) = (kind, act, n, channels, spatial);
            if (kind is Kind.BackwardReduce or Kind.AddBackwardReduce or Kind.AddBackwardSums or Kind.PoolBackwardSums or Kind.PoolMaskSums && job.Partials.Length < 2 * MaxParts * channels)
            {
                job.Partials = new double[2 * MaxParts * channels];
            }

            return job;
        }

        // The BatchNorm's per-channel scale, shift, mean and 1/σ of a backward reduction.
        public void SetNorm(float* scale, float* shift, float* mean, float* invStd)
        {
            Scale = scale;
            Shift = shift;
            Mean = mean;
            InvStd = invStd;
        }

        // Runs the parts (none: only drops the pointers).
        public void Run(int parts)
        {
            _parts = parts;
            try
            {
                if (parts > 0)
                {
                    ParallelWork.Run(this, parts);
                }
            }
            finally
            {
                Z = Y = R = U = Dy = Scale = Shift = Mean = InvStd = null;
                SumDu = SumDuXhat = null;
                ArgMax = null;
            }
        }

        // Samples s0 … s1 − 1 of AddBackwardReduce, one at a time; the sums are added to in sample order. With ArgMax set, dY is a
        // MaxPool2d's output gradient: each sample's input gradient is formed by Pooling.MaxBackward in the part's scratch first
        // (the values the pool's own pass stores, so the same bits), and only the pooled gradient is read from memory.
        public void AddBackwardReduce(int part, int s0, int s1, ref double sumDu, ref double sumDuXhat)
        {
            int length = _channels * _spatial, pooledLength = ArgMax == null ? 0 : length;
            // u recomputed (PoolAddNormBackwardReduce): inline for ReLU and the identity, else per sample into the scratch after dY.
            bool inline = Sum != null && FusesAddReduce<TAct>();
            float* scratch = ArgMax == null && (Sum == null || inline) ? null : PoolScratch(part, pooledLength + (Sum == null || inline ? 0 : 2 * length));
            float* pooled = ArgMax == null ? null : scratch;
            for (int s = s0; s < s1; s++)
            {
                long o = (long)s * length;
                float* dy = Dy + o;
                if (inline && pooled != null && _spatial > 1)
                {
                    // One channel plane at a time: its input gradient (3 KB for the Fashion-MNIST sample) is read back from L1, where the
                    // sample's (50 KB) came back from L2. Each plane takes the per-plane loops the sample's call ran, and each channel's
                    // sums take the same terms in the same order: the same bits.
                    long po = (long)s * _channels * Window.OutPlane;
                    for (int c = 0; c < _channels; c++)
                    {
                        Pooling.MaxBackward(ref Dy[po + ((long)c * Window.OutPlane)], ref ArgMax[po + ((long)c * Window.OutPlane)], ref *pooled, 1, Window);
                        Sum!.ReducePlanes(pooled, o + ((long)c * _spatial), Y, Overwrite, Z, U, c, 1, _spatial, Scale + c, Shift + c, Mean + c, InvStd + c,
                            ref Unsafe.Add(ref sumDu, c), ref Unsafe.Add(ref sumDuXhat, c));
                    }

                    continue;
                }

                if (pooled != null)
                {
                    long po = (long)s * _channels * Window.OutPlane;
                    Pooling.MaxBackward(ref Dy[po], ref ArgMax[po], ref *pooled, _channels, Window);
                    dy = pooled;
                }

                if (inline)
                {
                    Sum!.ReducePlanes(dy, o, Y, Overwrite, Z, U, 0, _channels, _spatial, Scale, Shift, Mean, InvStd, ref sumDu, ref sumDuXhat);
                    continue;
                }

                // u stored by the forward, or recomputed into the scratch (PoolAddNormBackwardReduce).
                float* u = Sum == null ? R + o : Sum.Compute(o, Z, Scale, Shift, scratch + pooledLength, _channels, _spatial);

                if (FusesAddReduce<TAct>())
                {
                    AddReducePlanes(_act, dy, u, Y + o, Overwrite, Z + o, U + o, _channels, _spatial, Mean, InvStd, ref sumDu, ref sumDuXhat);
                    continue;
                }

                if (Overwrite)
                {
                    new Span<float>(Y + o, length).Clear();
                }

                ActivationPass.Backward(_act, ref *dy, ref *u, ref U[o], length);
                ConvHelpers.Add(ref U[o], ref Y[o], length);
                ActivationPass.BackwardReduce(default(IdentityOperator), ref U[o], ref Z[o], ref U[o], 1, _channels, _spatial, ref *Scale, ref *Shift, ref *Mean,
                    ref *InvStd, ref sumDu, ref sumDuXhat);
            }
        }

        // The part's scratch of `length` floats (kept across calls: allocates only when a larger layer first uses it). The job's arrays
        // outlive the call, and the caller's are pinned by `fixed`; this one is pinned by the GC's pinned heap.
        private float* PoolScratch(int part, int length)
        {
            float[] scratch = _scratch[part] is { } kept && kept.Length >= length ? kept : _scratch[part] = GC.AllocateUninitializedArray<float>(length, pinned: true);
            return (float*)Unsafe.AsPointer(ref scratch[0]);
        }

        // Samples s0 … s1 − 1 of AddBackwardSums: dy += the saved gradient, then the reductions while the sample is in cache.
        public void AddBackwardSums(int s0, int s1, ref double sumDu, ref double sumDuXhat)
        {
            int length = _channels * _spatial;
            for (int s = s0; s < s1; s++)
            {
                long o = (long)s * length;
                ConvHelpers.Add(ref R[o], ref Dy[o], length);
                ActivationPass.BackwardReduce(_act, ref Dy[o], ref Z[o], ref Unsafe.NullRef<float>(), 1, _channels, _spatial, ref *Scale, ref *Shift, ref *Mean,
                    ref *InvStd, ref sumDu, ref sumDuXhat);
            }
        }

        // Samples s0 … s1 − 1 of PoolBackwardSums, one channel plane at a time: the plane's MaxPool2d input gradient formed in the part's
        // scratch (Pooling.MaxBackward, the values the pool's own pass stores; its path depends on the window only, and each plane's values
        // are the same whether it is formed alone or with the sample's others), then its reductions read it back from L1 (a sample's, 25 KB
        // for the Fashion-MNIST sample's 32 × 14 × 14, was read back after the whole sample had been written). BackwardReduce on one plane
        // runs the loop the sample's call ran for that channel, so each channel's sums take the same terms in the same order: the same
        // bits. Measured on that shape (batch 64, 1 thread, z and the pooled gradient out of cache, thread CPU time, alternating in one
        // process, 2026-12-02, AMD EPYC Zen 3, AVX2): 487 / 524 / 489 µs a pass per sample, 439 / 487 / 459 µs per plane (medians of 150).
        public void PoolBackwardSums(int part, int s0, int s1, ref double sumDu, ref double sumDuXhat)
        {
            int op = Window.OutPlane;
            float* du = PoolScratch(part, _spatial);
            for (int s = s0; s < s1; s++)
            {
                for (int c = 0; c < _channels; c++)
                {
                    long o = (((long)s * _channels) + c) * _spatial, po = (((long)s * _channels) + c) * op;
                    Pooling.MaxBackward(ref Dy[po], ref ArgMax[po], ref *du, 1, Window);
                    ActivationPass.BackwardReduce(_act, ref *du, ref Z[o], ref Unsafe.NullRef<float>(), 1, 1, _spatial, ref Scale[c], ref Shift[c], ref Mean[c],
                        ref InvStd[c], ref Unsafe.Add(ref sumDu, c), ref Unsafe.Add(ref sumDuXhat, c));
                }
            }
        }

        // A pooled sums pass (PoolBackwardSums, PoolMaskSums) with its pointers set: one part straight into the sums, or the parts'
        // partials added in part order.
        public void RunSums(int parts, ref double sumDu, ref double sumDuXhat)
        {
            if (parts > 1)
            {
                Run(parts);
                AddPartials(Partials, parts, _channels, ref sumDu, ref sumDuXhat);
                return;
            }

            if (_kind == Kind.PoolMaskSums)
            {
                PoolMaskSums(0, 0, _n, ref sumDu, ref sumDuXhat);
            }
            else
            {
                PoolBackwardSums(0, 0, _n, ref sumDu, ref sumDuXhat);
            }

            Run(0);
        }

        // Samples s0 … s1 − 1 of PoolMaskBackwardSums, one plane at a time: the masked pooled gradient stored, the pool's input gradient
        // formed in the part's scratch (one plane, in L1), then its sums; each channel's sums added to in sample order.
        public void PoolMaskSums(int part, int s0, int s1, ref double sumDu, ref double sumDuXhat)
        {
            int op = Window.OutPlane;
            float* plane = PoolScratch(part, _spatial);
            for (int s = s0; s < s1; s++)
            {
                for (int c = 0; c < _channels; c++)
                {
                    long po = (((long)s * _channels) + c) * op, o = (((long)s * _channels) + c) * _spatial;
                    ActivationPass.Backward(_act, ref Dy[po], ref R[po], ref Y[po], op);
                    Pooling.MaxBackward(ref Y[po], ref ArgMax[po], ref *plane, 1, Window);
                    PlaneSums(plane, Z + o, _spatial, Mean[c], InvStd[c], ref Unsafe.Add(ref sumDu, c), ref Unsafe.Add(ref sumDuXhat, c));
                }
            }
        }

        public override void Execute(int part)
        {
            (int s0, int s1) = ParallelWork.Slice(_n, _parts, part);
            int count = s1 - s0, c = _channels;
            long o = (long)s0 * c * _spatial;
            switch (_kind)
            {
                case Kind.AffineForward:
                    ActivationPass.AffineForward(_act, ref Z[o], ref Y[o], count, c, _spatial, ref *Scale, ref *Shift);
                    break;
                case Kind.AffineAddForward:
                    ActivationPass.AffineAddForward(_act, ref Z[o], ref R[o], ref U[o], ref Y[o], count, c, _spatial, ref *Scale, ref *Shift);
                    break;
                case Kind.BackwardReduce:
                    Span<double> sums = Partials.AsSpan(2 * part * c, 2 * c);
                    sums.Clear();
                    ActivationPass.BackwardReduce(_act, ref Dy[o], ref Z[o], ref U == null ? ref Unsafe.NullRef<float>() : ref U[o], count, c, _spatial, ref *Scale, ref *Shift, ref *Mean, ref *InvStd,
                        ref sums[0], ref sums[c]);
                    break;
                case Kind.AddBackwardReduce:
                    Span<double> partial = Partials.AsSpan(2 * part * c, 2 * c);
                    partial.Clear();
                    AddBackwardReduce(part, s0, s1, ref partial[0], ref partial[c]);
                    break;
                case Kind.AddBackwardSums:
                    Span<double> partialSums = Partials.AsSpan(2 * part * c, 2 * c);
                    partialSums.Clear();
                    AddBackwardSums(s0, s1, ref partialSums[0], ref partialSums[c]);
                    break;
                case Kind.PoolBackwardSums:
                    Span<double> poolSums = Partials.AsSpan(2 * part * c, 2 * c);
                    poolSums.Clear();
                    PoolBackwardSums(part, s0, s1, ref poolSums[0], ref poolSums[c]);
                    break;
                case Kind.PoolMaskSums:
                    Span<double> maskSums = Partials.AsSpan(2 * part * c, 2 * c);
                    maskSums.Clear();
                    PoolMaskSums(part, s0, s1, ref maskSums[0], ref maskSums[c]);
                    break;
                case Kind.BackwardApply:
                    Norm.BackwardApply(ref U[o], ref Z[o], count, c, _spatial, new ReadOnlySpan<float>(Scale, GammaLength), new ReadOnlySpan<float>(Mean, c),
                        new ReadOnlySpan<float>(InvStd, c), new ReadOnlySpan<double>(SumDu, c), new ReadOnlySpan<double>(SumDuXhat, c), Count, ref Y[o]);
                    break;
                case Kind.Backward:
                    ActivationPass.Backward(_act, ref Dy[o], ref U[o], ref Y[o], count * _spatial);
                    break;
                case Kind.Add:
                    ConvHelpers.Add(ref Z[o], ref Y[o], count * _spatial);
                    break;
                case Kind.MaxForward or Kind.MaxForwardSave:
                    long po = (long)s0 * c * Window.OutPlane;
                    Pooling.MaxForward(ref Z[(long)s0 * c * Window.InPlane], ref Y[po], ref ArgMax[po], count * c, Window, _kind == Kind.MaxForwardSave);
                    break;
                default:
                    long bo = (long)s0 * c * Window.OutPlane;
                    Pooling.MaxBackward(ref Dy[bo], ref ArgMax[bo], ref Y[(long)s0 * c * Window.InPlane], count * c, Window);
                    break;
            }
        }
    }
}
