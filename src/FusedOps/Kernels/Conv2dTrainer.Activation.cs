using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>
/// The elementwise work of a group with no BatchNorm, per sample in the conv's epilogue (forward) and as the gradient goes onto
/// the grid (backward): an activation, a residual add before it (its gradient handed to the saved tensor's accumulator), and
/// (<c>Conv2dTrainer.Next.cs</c>) the next layer's channel activation or Maxout.
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    // The epilogue of the call in progress, or null; one cached per kind (an activation's replaced only if its type changes).
    private Epilogue? _epilogue, _activationCache;

    /// <summary>
    /// <see cref="Forward(float[], float[], float[], float[], int, double[], double[])"/> followed by the activation in the
    /// epilogue: <paramref name="output"/> = conv(input) + bias (kept for the derivative) and
    /// <paramref name="activated"/> = act(output), per sample while it is in cache (no pass over the batch).
    /// </summary>
    public void Forward<TAct>(TAct act, float[] input, float[] weight, float[]? bias, float[] output, float[] activated, int n)
        where TAct : struct, IActivationOperator
    {
        ForwardWith(Use(act, activated, null, null, null, null), input, weight, bias, output, n);
    }

    /// <summary>
    /// <see cref="Forward(float[], float[], float[], float[], int, double[], double[])"/> followed by a residual add and the
    /// activation in the epilogue, per sample: <paramref name="output"/> = z = conv(input) + bias, u = z + <paramref name="residual"/>
    /// (to <paramref name="sum"/>, kept for the derivative), <paramref name="activated"/> = act(u); <paramref name="sum"/> may be
    /// <paramref name="activated"/> (no activation). The arithmetic of <see cref="ActivationPass.AddForward"/>.
    /// </summary>
    public void AddForward<TAct>(TAct act, float[] input, float[] weight, float[]? bias, float[] output, float[] residual, float[] sum, float[] activated, int n)
        where TAct : struct, IActivationOperator
    {
        ForwardWith(Use(act, activated, null, residual, sum, null), input, weight, bias, output, n);
    }

    /// <summary>
    /// <see cref="Backward(float[], ref float, float[], float[], float[], ref float, bool, int)"/> from the gradient
    /// <paramref name="dy"/> at the activation's output: dz = act′(dy) at the pre-activation <paramref name="z"/>, per sample
    /// as it goes onto the grid.
    /// </summary>
    public void Backward<TAct>(TAct act, float[] input, ref float dy, float[] z, float[] weight, float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
        where TAct : struct, IActivationOperator
    {
        BackwardWith(Use(act, [], z, null, null, null), input, ref dy, weight, weightGrad, biasGrad, ref dx, wantInput, n);
    }

    /// <summary>
    /// The backward of <see cref="AddForward"/>: per sample as it goes onto the grid, du = act′(<paramref name="dy"/>) at the sum
    /// <paramref name="sum"/> (null: no activation, du = dy), added to the saved tensor's gradient <paramref name="savedGrad"/>,
    /// and dz = du; the arithmetic of the activation's backward pass followed by <see cref="ConvHelpers.Add"/>.
    /// </summary>
    public void AddBackward<TAct>(TAct act, float[] input, ref float dy, float[]? sum, float[] savedGrad, float[] weight, float[] weightGrad, float[]? biasGrad,
        ref float dx, bool wantInput, int n)
        where TAct : struct, IActivationOperator
    {
        BackwardWith(Use(act, [], sum, null, null, savedGrad), input, ref dy, weight, weightGrad, biasGrad, ref dx, wantInput, n);
    }

    private void ForwardWith(Epilogue epilogue, float[] input, float[] weight, float[]? bias, float[] output, int n)
    {
        _epilogue = epilogue;
        try
        {
            Forward(input, weight, bias, output, n, null, null);
        }
        finally
        {
            _epilogue = null;
        }
    }

    private void BackwardWith(Epilogue epilogue, float[] input, ref float dy, float[] weight, float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
    {
        _epilogue = epilogue;
        try
        {
            Backward(input, ref dy, weight, weightGrad, biasGrad, ref dx, wantInput, n);
        }
        finally
        {
            _epilogue = null;
        }
    }

    private Epilogue Use<TAct>(TAct act, float[] activated, float[]? pre, float[]? residual, float[]? sum, float[]? savedGrad)
        where TAct : struct, IActivationOperator
    {
        if (_activationCache is not ActivationEpilogue<TAct> e)
        {
            _activationCache = e = new ActivationEpilogue<TAct>(this);
        }

        (e.Act, e.Y, e.Pre, e.Residual, e.Sum, e.SavedGrad) = (act, activated, pre, residual, sum, savedGrad);
        return e;
    }

    // One virtual call per sample into a generic pass, so the JIT specialises it per activation.
    private abstract class Epilogue(Conv2dTrainer trainer)
    {
        protected Conv2dTrainer Trainer { get; } = trainer;

        /// <summary>Whether z (conv + bias) is stored in the conv's output buffer; else it is handed over from the scratch.</summary>
        public virtual bool KeepsZ => true;

        /// <summary>Sample <paramref name="s"/>'s epilogue on its z.</summary>
        public abstract void Forward(int s, ref float z);

        /// <summary>Sample <paramref name="s"/>'s gradient at the conv's output (in <paramref name="scratch"/>, or the gradient itself).</summary>
        public abstract ref float Backward(int s, int part, ref float scratch);

        /// <summary>The gradient at the epilogue's output for sample <paramref name="s"/>, <paramref name="length"/> values per sample.</summary>
        protected ref float Dy(int s, int length) => ref Unsafe.AsRef<float>(Trainer._dz + ((long)s * length));
    }

    private sealed class ActivationEpilogue<TAct>(Conv2dTrainer trainer) : Epilogue(trainer)
        where TAct : struct, IActivationOperator
    {
        public TAct Act;
        public float[] Y = [];
        public float[]? Pre, Residual, SavedGrad, Sum;

        public override void Forward(int s, ref float z)
        {
            int length = Trainer.OutLength, o = s * length;
            if (Residual is null)
            {
                ActivationPass.Forward(Act, ref z, ref Y[o], length);
            }
            else
            {
                ActivationPass.AddForward(Act, ref z, ref Residual[o], ref Sum![o], ref Y[o], length);
            }
        }

        public override ref float Backward(int s, int part, ref float scratch)
        {
            int length = Trainer.OutLength, o = s * length;
            ref float dy = ref Dy(s, length);
            if (Pre is null)
            {
                // No activation: du is dY itself.
                ConvHelpers.Add(ref dy, ref SavedGrad![o], length);
                return ref dy;
            }

            ActivationPass.Backward(Act, ref dy, ref Pre[o], ref scratch, length);
            if (SavedGrad is not null)
            {
                ConvHelpers.Add(ref scratch, ref SavedGrad[o], length);
            }

            return ref scratch;
        }
    }
}
