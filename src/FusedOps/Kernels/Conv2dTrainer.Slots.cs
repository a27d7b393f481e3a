using System.Numerics;
using System.Threading;

namespace FusedOps.Kernels;

/// <content>The per-slot scratch: claimed by the thread that runs a part, sized for the call in progress.</content>
public sealed partial class Conv2dTrainer
{
    // The first free slot, claimed for the calling thread.
    private int ClaimSlot()
    {
        while (true)
        {
            int busy = Volatile.Read(ref _slotsBusy), slot = BitOperations.TrailingZeroCount(~busy);
            if (Interlocked.CompareExchange(ref _slotsBusy, busy | (1 << slot), busy) == busy)
            {
                return slot;
            }
        }
    }

    // A slot's scratch: the grids, then the weight gradient's packed D and partial sums at the width in force (replaced, zeroed,
    // when that needs more). Its content never carries from one sample to the next: every read region is written first, or is
    // a tail past the padded planes that stays zero.
    private ref float SlotScratch(int slot)
    {
        int length = ScratchLength;
        if (_backward && _weightsOnWinograd)
        {
            length += WinogradWeightsLength;
        }
        else if (_backward)
        {
            length += RoundUp(_gradientLayout.PackedLength, 16) + _gradientLayout.SumsLength(_kc);
        }

        if (_slots[slot] is not { } array || array.Length - _slotStarts[slot] < length)
        {
            array = _slots[slot] = ConvParallel.AlignedScratch(length, out _slotStarts[slot]);
        }

        return ref array[_slotStarts[slot]];
    }
}
