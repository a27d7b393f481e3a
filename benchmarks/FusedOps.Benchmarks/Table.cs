using System;
using System.Collections.Generic;
using System.Linq;

namespace FusedOps.Benchmarks;

/// <summary>A plain-text table: columns as wide as their widest cell, first column left-aligned, the rest right-aligned.</summary>
internal sealed class Table(params string[] header)
{
    private readonly List<string[]> _rows = [header];

    public void Add(params string[] cells) => _rows.Add(cells);

    /// <summary>Prints the table and a blank line.</summary>
    public void Print()
    {
        int[] widths = Enumerable.Range(0, header.Length).Select(c => _rows.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        foreach (string[] row in _rows)
        {
            string line = string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c])));
            Console.WriteLine("  " + line.TrimEnd());
        }

        Console.WriteLine();
    }
}
