using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>
/// The forward's padded input kept for the backward's weight gradient when the batch's padded planes are small: the backward then
/// reads them instead of padding the input again. The re-pad read the input back from L3 (it was last touched by the forward, every
/// pass over the batch since evicted it), a streaming copy that cost about as much as the weight gradient's reads of the kept planes
/// from L3 save; larger batches keep padding into the warm per-slot scratch (a batch-sized padded copy written in the forward cost
/// more than the re-pad it saved, measured on the Fashion-MNIST network at batch 64).
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    /// <summary>Largest padded batch (bytes) the forward keeps for the backward: half a core's L2 on the machines measured.</summary>
    private const long KeptLimitBytes = 1L << 20;

    private float[]? _kept;
    private int _keptStart;

    // The Forward that filled the kept planes: its input array and batch size; a Backward on other ones pads again.
    private float[]? _keptInput;
    private int _keptN;

    // Floats between two samples' kept planes: the padded planes and their zero tail, to a whole cache line.
    private int KeptStride => RoundUp(_xpLength, 16);

    // Before a forward's parts run: whether this call keeps its padded planes, and the buffer (zeroed: the tails stay zero).
    private bool PrepareKept(int n)
    {
        _keptInput = null;
        long length = (long)n * KeptStride;
        if (length * sizeof(float) > KeptLimitBytes)
        {
            return false;
        }

        if (_kept is null || _kept.Length - _keptStart < length)
        {
            _kept = ConvParallel.AlignedScratch((int)length, out _keptStart);
        }

        return true;
    }

    // Sample s's kept padded planes.
    private ref float Kept(int s) => ref _kept![_keptStart + (s * KeptStride)];

    // Whether the backward on this input and batch can read the last forward's kept planes.
    private bool HasKept(float[] input, int n) => ReferenceEquals(_keptInput, input) && _keptN == n;
}
