using System;
using System.Globalization;
using System.Text;

namespace FusedOps.Generator.Emit;

/// <summary>An indented text writer for generated C#; lines end with \n on every platform.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    /// <summary>Longest generated line; longer statements are wrapped after a comma, comments at a space.</summary>
    public const int MaxLineLength = 160;

    public CodeWriter Line(string line = "")
    {
        if (line.Length == 0)
        {
            _text.Append('\n');
            return this;
        }

        int width = MaxLineLength - (_indent * 4);
        bool comment = line.StartsWith("//", StringComparison.Ordinal);
        string continuation = comment ? line.Substring(0, line.StartsWith("///", StringComparison.Ordinal) ? 4 : 3) + "    " : "    ";
        while (line.Length > width)
        {
            int cut = comment ? line.LastIndexOf(' ', width - 1) : ArgumentBreak(line, width);
            if (cut <= continuation.Length)
            {
                break;
            }

            int skip = comment ? 1 : 2;
            _text.Append(' ', _indent * 4).Append(line, 0, comment ? cut : cut + 1).Append('\n');
            line = continuation + line.Substring(cut + skip);
        }

        _text.Append(' ', _indent * 4).Append(line).Append('\n');
        return this;
    }

    /// <summary>Writes a multi-line block (e.g. a raw string literal), indenting each line.</summary>
    /// <summary>The last ", " before <paramref name="width"/> between the arguments of the outermost call, else any.</summary>
    private static int ArgumentBreak(string line, int width)
    {
        int depth = 0, outer = -1, any = -1;
        for (int i = 0; i < line.Length - 1 && i < width - 1; i++)
        {
            char ch = line[i];
            depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
            if (ch == ',' && line[i + 1] == ' ')
            {
                any = i;
                outer = depth == 1 ? i : outer;
            }
        }

        return outer > 0 ? outer : any;
    }

    public CodeWriter Lines(string block)
    {
        foreach (string line in block.Replace("\r\n", "\n").Split('\n'))
        {
            Line(line);
        }

        return this;
    }

    /// <summary>A <c>/// &lt;summary&gt;</c> comment, wrapped at word boundaries so no line passes 120 characters of text.</summary>
    public CodeWriter Summary(string text)
    {
        const int Width = 110;
        if (text.Length + 23 <= Width)
        {
            return Line($"/// <summary>{text}</summary>");
        }

        Line("/// <summary>");
        var line = new StringBuilder();
        foreach (string word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > Width)
            {
                Line("/// " + line);
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : string.Empty).Append(word);
        }

        Line("/// " + line);
        return Line("/// </summary>");
    }

    public CodeWriter Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return this;
    }

    public CodeWriter Open()
    {
        Line("{");
        _indent++;
        return this;
    }

    public CodeWriter Close(string suffix = "")
    {
        // No blank line before a closing brace.
        if (_text.Length >= 2 && _text[_text.Length - 1] == '\n' && _text[_text.Length - 2] == '\n')
        {
            _text.Length--;
        }

        _indent--;
        Line("}" + suffix);
        return this;
    }

    public IDisposable Block(string header)
    {
        Open(header);
        return new Closer(this);
    }

    public override string ToString() => _text.ToString();

    /// <summary>A float literal that round-trips exactly, culture-invariant.</summary>
    public static string F(float value) => Model.Literal.Float(value);

    public static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class Closer : IDisposable
    {
        private readonly CodeWriter _writer;

        public Closer(CodeWriter writer) => _writer = writer;

        public void Dispose() => _writer.Close();
    }
}
