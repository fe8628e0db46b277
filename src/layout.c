/* layout.c - text in display columns: character widths (UAX #11 and the
 * combining marks), wrapping, cutting to a width, and table columns. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pollux/layout.h"

struct range {
	uint32_t from, to;
};

/*
 * The two tables below come from Unicode 14.0's character database, as
 * Python's unicodedata module has it; ranges run over unassigned code
 * points between assigned ones of the same kind. To regenerate:
 *
 *   import unicodedata as u
 *   def ranges(pred):   # assigned code points where pred holds, merged
 *       out, start, last = [], None, None
 *       for cp in range(0x110000):
 *           c = chr(cp)
 *           if u.category(c) == "Cn": continue
 *           if pred(c):
 *               start, last = cp if start is None else start, cp
 *           elif start is not None:
 *               out.append((start, last)); start = None
 *       return out + ([(start, last)] if start is not None else [])
 *   wide = ranges(lambda c: u.east_asian_width(c) in "WF")
 *   zero = ranges(lambda c: u.category(c) in ("Mn", "Me") or
 *       (u.category(c) == "Cf" and c != "\u00ad") or
 *       0x1160 <= ord(c) <= 0x11FF)
 */
static const struct range wide[] = {
	{0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A},
	{0x23E9, 0x23EC}, {0x23F0, 0x23F0}, {0x23F3, 0x23F3},
	{0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653},
	{0x267F, 0x267F}, {0x2693, 0x2693}, {0x26A1, 0x26A1},
	{0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5},
	{0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA},
	{0x26F2, 0x26F3}, {0x26F5, 0x26F5}, {0x26FA, 0x26FA},
	{0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B},
	{0x2728, 0x2728}, {0x274C, 0x274C}, {0x274E, 0x274E},
	{0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
	{0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C},
	{0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x2E80, 0x303E},
	{0x3041, 0x3247}, {0x3250, 0x4DBF}, {0x4E00, 0xA4C6},
	{0xA960, 0xA97C}, {0xAC00, 0xD7A3}, {0xF900, 0xFAD9},
	{0xFE10, 0xFE19}, {0xFE30, 0xFE6B}, {0xFF01, 0xFF60},
	{0xFFE0, 0xFFE6}, {0x16FE0, 0x1B2FB}, {0x1F004, 0x1F004},
	{0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A},
	{0x1F200, 0x1F320}, {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C},
	{0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3},
	{0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E},
	{0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D},
	{0x1F54B, 0x1F54E}, {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A},
	{0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F},
	{0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2},
	{0x1F6D5, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC},
	{0x1F7E0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
	{0x1F947, 0x1F9FF}, {0x1FA70, 0x1FAF6}, {0x20000, 0x3134A},
};
static const struct range zero[] = {
	{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},
	{0x05BF, 0x05BF}, {0x05C1, 0x05C2}, {0x05C4, 0x05C5},
	{0x05C7, 0x05C7}, {0x0600, 0x0605}, {0x0610, 0x061A},
	{0x061C, 0x061C}, {0x064B, 0x065F}, {0x0670, 0x0670},
	{0x06D6, 0x06DD}, {0x06DF, 0x06E4}, {0x06E7, 0x06E8},
	{0x06EA, 0x06ED}, {0x070F, 0x070F}, {0x0711, 0x0711},
	{0x0730, 0x074A}, {0x07A6, 0x07B0}, {0x07EB, 0x07F3},
	{0x07FD, 0x07FD}, {0x0816, 0x0819}, {0x081B, 0x0823},
	{0x0825, 0x0827}, {0x0829, 0x082D}, {0x0859, 0x085B},
	{0x0890, 0x089F}, {0x08CA, 0x0902}, {0x093A, 0x093A},
	{0x093C, 0x093C}, {0x0941, 0x0948}, {0x094D, 0x094D},
	{0x0951, 0x0957}, {0x0962, 0x0963}, {0x0981, 0x0981},
	{0x09BC, 0x09BC}, {0x09C1, 0x09C4}, {0x09CD, 0x09CD},
	{0x09E2, 0x09E3}, {0x09FE, 0x0A02}, {0x0A3C, 0x0A3C},
	{0x0A41, 0x0A51}, {0x0A70, 0x0A71}, {0x0A75, 0x0A75},
	{0x0A81, 0x0A82}, {0x0ABC, 0x0ABC}, {0x0AC1, 0x0AC8},
	{0x0ACD, 0x0ACD}, {0x0AE2, 0x0AE3}, {0x0AFA, 0x0B01},
	{0x0B3C, 0x0B3C}, {0x0B3F, 0x0B3F}, {0x0B41, 0x0B44},
	{0x0B4D, 0x0B56}, {0x0B62, 0x0B63}, {0x0B82, 0x0B82},
	{0x0BC0, 0x0BC0}, {0x0BCD, 0x0BCD}, {0x0C00, 0x0C00},
	{0x0C04, 0x0C04}, {0x0C3C, 0x0C3C}, {0x0C3E, 0x0C40},
	{0x0C46, 0x0C56}, {0x0C62, 0x0C63}, {0x0C81, 0x0C81},
	{0x0CBC, 0x0CBC}, {0x0CBF, 0x0CBF}, {0x0CC6, 0x0CC6},
	{0x0CCC, 0x0CCD}, {0x0CE2, 0x0CE3}, {0x0D00, 0x0D01},
	{0x0D3B, 0x0D3C}, {0x0D41, 0x0D44}, {0x0D4D, 0x0D4D},
	{0x0D62, 0x0D63}, {0x0D81, 0x0D81}, {0x0DCA, 0x0DCA},
	{0x0DD2, 0x0DD6}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A},
	{0x0E47, 0x0E4E}, {0x0EB1, 0x0EB1}, {0x0EB4, 0x0EBC},
	{0x0EC8, 0x0ECD}, {0x0F18, 0x0F19}, {0x0F35, 0x0F35},
	{0x0F37, 0x0F37}, {0x0F39, 0x0F39}, {0x0F71, 0x0F7E},
	{0x0F80, 0x0F84}, {0x0F86, 0x0F87}, {0x0F8D, 0x0FBC},
	{0x0FC6, 0x0FC6}, {0x102D, 0x1030}, {0x1032, 0x1037},
	{0x1039, 0x103A}, {0x103D, 0x103E}, {0x1058, 0x1059},
	{0x105E, 0x1060}, {0x1071, 0x1074}, {0x1082, 0x1082},
	{0x1085, 0x1086}, {0x108D, 0x108D}, {0x109D, 0x109D},
	{0x1160, 0x11FF}, {0x135D, 0x135F}, {0x1712, 0x1714},
	{0x1732, 0x1733}, {0x1752, 0x1753}, {0x1772, 0x1773},
	{0x17B4, 0x17B5}, {0x17B7, 0x17BD}, {0x17C6, 0x17C6},
	{0x17C9, 0x17D3}, {0x17DD, 0x17DD}, {0x180B, 0x180F},
	{0x1885, 0x1886}, {0x18A9, 0x18A9}, {0x1920, 0x1922},
	{0x1927, 0x1928}, {0x1932, 0x1932}, {0x1939, 0x193B},
	{0x1A17, 0x1A18}, {0x1A1B, 0x1A1B}, {0x1A56, 0x1A56},
	{0x1A58, 0x1A60}, {0x1A62, 0x1A62}, {0x1A65, 0x1A6C},
	{0x1A73, 0x1A7F}, {0x1AB0, 0x1B03}, {0x1B34, 0x1B34},
	{0x1B36, 0x1B3A}, {0x1B3C, 0x1B3C}, {0x1B42, 0x1B42},
	{0x1B6B, 0x1B73}, {0x1B80, 0x1B81}, {0x1BA2, 0x1BA5},
	{0x1BA8, 0x1BA9}, {0x1BAB, 0x1BAD}, {0x1BE6, 0x1BE6},
	{0x1BE8, 0x1BE9}, {0x1BED, 0x1BED}, {0x1BEF, 0x1BF1},
	{0x1C2C, 0x1C33}, {0x1C36, 0x1C37}, {0x1CD0, 0x1CD2},
	{0x1CD4, 0x1CE0}, {0x1CE2, 0x1CE8}, {0x1CED, 0x1CED},
	{0x1CF4, 0x1CF4}, {0x1CF8, 0x1CF9}, {0x1DC0, 0x1DFF},
	{0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x206F},
	{0x20D0, 0x20F0}, {0x2CEF, 0x2CF1}, {0x2D7F, 0x2D7F},
	{0x2DE0, 0x2DFF}, {0x302A, 0x302D}, {0x3099, 0x309A},
	{0xA66F, 0xA672}, {0xA674, 0xA67D}, {0xA69E, 0xA69F},
	{0xA6F0, 0xA6F1}, {0xA802, 0xA802}, {0xA806, 0xA806},
	{0xA80B, 0xA80B}, {0xA825, 0xA826}, {0xA82C, 0xA82C},
	{0xA8C4, 0xA8C5}, {0xA8E0, 0xA8F1}, {0xA8FF, 0xA8FF},
	{0xA926, 0xA92D}, {0xA947, 0xA951}, {0xA980, 0xA982},
	{0xA9B3, 0xA9B3}, {0xA9B6, 0xA9B9}, {0xA9BC, 0xA9BD},
	{0xA9E5, 0xA9E5}, {0xAA29, 0xAA2E}, {0xAA31, 0xAA32},
	{0xAA35, 0xAA36}, {0xAA43, 0xAA43}, {0xAA4C, 0xAA4C},
	{0xAA7C, 0xAA7C}, {0xAAB0, 0xAAB0}, {0xAAB2, 0xAAB4},
	{0xAAB7, 0xAAB8}, {0xAABE, 0xAABF}, {0xAAC1, 0xAAC1},
	{0xAAEC, 0xAAED}, {0xAAF6, 0xAAF6}, {0xABE5, 0xABE5},
	{0xABE8, 0xABE8}, {0xABED, 0xABED}, {0xFB1E, 0xFB1E},
	{0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF},
	{0xFFF9, 0xFFFB}, {0x101FD, 0x101FD}, {0x102E0, 0x102E0},
	{0x10376, 0x1037A}, {0x10A01, 0x10A0F}, {0x10A38, 0x10A3F},
	{0x10AE5, 0x10AE6}, {0x10D24, 0x10D27}, {0x10EAB, 0x10EAC},
	{0x10F46, 0x10F50}, {0x10F82, 0x10F85}, {0x11001, 0x11001},
	{0x11038, 0x11046}, {0x11070, 0x11070}, {0x11073, 0x11074},
	{0x1107F, 0x11081}, {0x110B3, 0x110B6}, {0x110B9, 0x110BA},
	{0x110BD, 0x110BD}, {0x110C2, 0x110CD}, {0x11100, 0x11102},
	{0x11127, 0x1112B}, {0x1112D, 0x11134}, {0x11173, 0x11173},
	{0x11180, 0x11181}, {0x111B6, 0x111BE}, {0x111C9, 0x111CC},
	{0x111CF, 0x111CF}, {0x1122F, 0x11231}, {0x11234, 0x11234},
	{0x11236, 0x11237}, {0x1123E, 0x1123E}, {0x112DF, 0x112DF},
	{0x112E3, 0x112EA}, {0x11300, 0x11301}, {0x1133B, 0x1133C},
	{0x11340, 0x11340}, {0x11366, 0x11374}, {0x11438, 0x1143F},
	{0x11442, 0x11444}, {0x11446, 0x11446}, {0x1145E, 0x1145E},
	{0x114B3, 0x114B8}, {0x114BA, 0x114BA}, {0x114BF, 0x114C0},
	{0x114C2, 0x114C3}, {0x115B2, 0x115B5}, {0x115BC, 0x115BD},
	{0x115BF, 0x115C0}, {0x115DC, 0x115DD}, {0x11633, 0x1163A},
	{0x1163D, 0x1163D}, {0x1163F, 0x11640}, {0x116AB, 0x116AB},
	{0x116AD, 0x116AD}, {0x116B0, 0x116B5}, {0x116B7, 0x116B7},
	{0x1171D, 0x1171F}, {0x11722, 0x11725}, {0x11727, 0x1172B},
	{0x1182F, 0x11837}, {0x11839, 0x1183A}, {0x1193B, 0x1193C},
	{0x1193E, 0x1193E}, {0x11943, 0x11943}, {0x119D4, 0x119DB},
	{0x119E0, 0x119E0}, {0x11A01, 0x11A0A}, {0x11A33, 0x11A38},
	{0x11A3B, 0x11A3E}, {0x11A47, 0x11A47}, {0x11A51, 0x11A56},
	{0x11A59, 0x11A5B}, {0x11A8A, 0x11A96}, {0x11A98, 0x11A99},
	{0x11C30, 0x11C3D}, {0x11C3F, 0x11C3F}, {0x11C92, 0x11CA7},
	{0x11CAA, 0x11CB0}, {0x11CB2, 0x11CB3}, {0x11CB5, 0x11CB6},
	{0x11D31, 0x11D45}, {0x11D47, 0x11D47}, {0x11D90, 0x11D91},
	{0x11D95, 0x11D95}, {0x11D97, 0x11D97}, {0x11EF3, 0x11EF4},
	{0x13430, 0x13438}, {0x16AF0, 0x16AF4}, {0x16B30, 0x16B36},
	{0x16F4F, 0x16F4F}, {0x16F8F, 0x16F92}, {0x16FE4, 0x16FE4},
	{0x1BC9D, 0x1BC9E}, {0x1BCA0, 0x1CF46}, {0x1D167, 0x1D169},
	{0x1D173, 0x1D182}, {0x1D185, 0x1D18B}, {0x1D1AA, 0x1D1AD},
	{0x1D242, 0x1D244}, {0x1DA00, 0x1DA36}, {0x1DA3B, 0x1DA6C},
	{0x1DA75, 0x1DA75}, {0x1DA84, 0x1DA84}, {0x1DA9B, 0x1DAAF},
	{0x1E000, 0x1E02A}, {0x1E130, 0x1E136}, {0x1E2AE, 0x1E2AE},
	{0x1E2EC, 0x1E2EF}, {0x1E8D0, 0x1E8D6}, {0x1E944, 0x1E94A},
	{0xE0001, 0xE01EF},
};

static bool in_ranges(uint32_t c, const struct range *r, size_t n)
{
	size_t lo = 0, hi = n;

	if (n == 0 || c < r[0].from || c > r[n - 1].to)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c > r[mid].to)
			lo = mid + 1;
		else if (c < r[mid].from)
			hi = mid;
		else
			return true;
	}
	return false;
}

uint32_t utf8_decode(const char *str, size_t n, size_t *len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t need;
	uint32_t cp, min;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xE0) == 0xC0)
		need = 1, cp = s[0] & 0x1F, min = 0x80;
	else if ((s[0] & 0xF0) == 0xE0)
		need = 2, cp = s[0] & 0x0F, min = 0x800;
	else if ((s[0] & 0xF8) == 0xF0)
		need = 3, cp = s[0] & 0x07, min = 0x10000;
	else
		return s[0];
	if (n <= need)
		return s[0];
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return s[0];
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return s[0];
	*len = need + 1;
	return cp;
}

int cp_columns(uint32_t c)
{
	if (c == (uint32_t)LAYOUT_GLUE)
		return 1;
	if (c < 0x20 || (c >= 0x7F && c < 0xA0))
		return 0;
	if (c < 0x300)
		return 1;
	if (in_ranges(c, zero, sizeof zero / sizeof *zero))
		return 0;
	if (in_ranges(c, wide, sizeof wide / sizeof *wide))
		return 2;
	return 1;
}

size_t text_columns(const char *s, size_t n)
{
	size_t cols = 0, i = 0, len;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {   /* the common case */
			cols += cp_columns((unsigned char)s[i]);
			i++;
			continue;
		}
		cols += (size_t)cp_columns(utf8_decode(s + i, n - i, &len));
		i += len;
	}
	return cols;
}

/* ---- wrapping ------------------------------------------------------ */

/* Chinese and Japanese put no spaces between words: a line may break
 * between two of these. Hangul is left out: Korean uses spaces. */
static bool is_cjk(uint32_t c)
{
	return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	    (c >= 0xFF00 && c <= 0xFF60) || (c >= 0x20000 && c <= 0x3FFFF);
}

/* Closing punctuation stays with what it closes... */
static bool no_break_before(uint32_t c)
{
	static const uint32_t set[] = { 0x3001, 0x3002, 0x3005, 0x3009,
	    0x300B, 0x300D, 0x300F, 0x3011, 0x3015, 0x30FC, 0xFF01, 0xFF09,
	    0xFF0C, 0xFF0E, 0xFF1A, 0xFF1B, 0xFF1F };

	if (c == (uint32_t)LAYOUT_GLUE ||
	    (c && c < 0x80 && strchr(")]}.,;:!?'\"", (int)c)))
		return true;
	for (size_t i = 0; i < sizeof set / sizeof *set; i++)
		if (set[i] == c)
			return true;
	return false;
}

/* ...and opening punctuation with what it opens. */
static bool no_break_after(uint32_t c)
{
	static const uint32_t set[] = { 0x3008, 0x300A, 0x300C, 0x300E,
	    0x3010, 0x3014, 0xFF08 };

	if (c == (uint32_t)LAYOUT_GLUE ||
	    (c && c < 0x80 && strchr("([{'\"", (int)c)))
		return true;
	for (size_t i = 0; i < sizeof set / sizeof *set; i++)
		if (set[i] == c)
			return true;
	return false;
}

/* Asked of every word of every text: a ':' is looked for first, which
 * most words lack, rather than memmem's setup for each. */
static bool looks_like_url(const char *s, size_t n)
{
	for (const char *p = s, *end = s + n;
	    (p = memchr(p, ':', (size_t)(end - p))); p++)
		if (end - p >= 3 && p[1] == '/' && p[2] == '/')
			return true;
	return n > 7 && strncasecmp(s, "mailto:", 7) == 0;
}

struct wrap {
	struct buf *lines;
	size_t width, col;
	bool open;             /* the current line has something */
	bool break_long;
};

static void wrap_flush(struct wrap *w)
{
	if (w->open)
		buf_putc(w->lines, '\n');
	w->open = false;
	w->col = 0;
}

static void put_bytes(struct wrap *w, const char *s, size_t n)
{
	/* Most words hold no glue: one copy, not a byte at a time. */
	if (!memchr(s, LAYOUT_GLUE, n)) {
		buf_put(w->lines, s, n);
	} else {
		for (size_t i = 0; i < n; i++)
			buf_putc(w->lines, s[i] == LAYOUT_GLUE ? ' ' : s[i]);
	}
	w->open = true;
}

/* A piece that is never broken, unless it is wider than a whole line and
 * break_long is set. */
static void wrap_unit(struct wrap *w, const char *s, size_t n, bool space)
{
	size_t cols = text_columns(s, n), i = 0, len;

	if (w->open && w->col + (space ? 1 : 0) + cols > w->width)
		wrap_flush(w);
	if (w->open && space) {
		buf_putc(w->lines, ' ');
		w->col++;
	}
	if (!w->break_long || w->col + cols <= w->width) {
		put_bytes(w, s, n);
		w->col += cols;
		return;
	}
	while (i < n) {
		int cw = cp_columns(utf8_decode(s + i, n - i, &len));
		if (w->open && cw > 0 && w->col + (size_t)cw > w->width)
			wrap_flush(w);
		put_bytes(w, s + i, len);
		w->col += (size_t)cw;
		i += len;
	}
}

static bool ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* One word: whole, unless CJK characters inside it allow breaks. */
static void wrap_word(struct wrap *w, const char *s, size_t n, bool space)
{
	if (ascii(s, n)) {      /* no CJK in it: one piece, URL or not */
		wrap_unit(w, s, n, space);
		return;
	}
	bool url = looks_like_url(s, n);
	size_t unit = 0, i = 0, len;
	uint32_t prev = 0, c;

	while (i < n) {
		c = utf8_decode(s + i, n - i, &len);
		if (i > 0 && !url && (is_cjk(prev) || is_cjk(c)) &&
		    !no_break_after(prev) && !no_break_before(c)) {
			wrap_unit(w, s + unit, i - unit, unit == 0 && space);
			unit = i;
		}
		prev = c;
		i += len;
	}
	wrap_unit(w, s + unit, n - unit, unit == 0 && space);
}

void wrap_text(const char *text, size_t n, size_t width, bool break_long,
    struct buf *lines)
{
	struct wrap w = { lines, width ? width : 1, 0, false, break_long };
	bool space = false;
	size_t i = 0, j;

	while (i < n) {
		if (text[i] == ' ') {
			space = true;
			i++;
		} else if (text[i] == '\n') {
			wrap_flush(&w);
			space = false;
			i++;
		} else {
			for (j = i; j < n && text[j] != ' ' && text[j] != '\n'; j++)
				;
			wrap_word(&w, text + i, j - i, space);
			space = false;
			i = j;
		}
	}
	wrap_flush(&w);
}

/* ---- cutting ------------------------------------------------------- */

void cut_text(struct buf *out, const char *s, size_t n, size_t width)
{
	size_t i = 0, cols = 0, fit = 0, word = 0, word_cols = 0, len;

	if (text_columns(s, n) <= width) {
		buf_put(out, s, n);
		return;
	}
	/* Room for the "…" (one column) after what is kept. */
	while (i < n) {
		uint32_t c = utf8_decode(s + i, n - i, &len);
		size_t cw = (size_t)cp_columns(c);
		if (cols + cw + 1 > width)
			break;
		if (c == ' ' && i > 0 && s[i - 1] != ' ')
			word = i, word_cols = cols;
		cols += cw;
		i += len;
		fit = i;
	}
	size_t end = word && word_cols * 2 >= width ? word : fit;
	/* A cut never leaves a space or a comma before the "…". */
	while (end > 0 && s[end - 1] && strchr(" ,;:", s[end - 1]))
		end--;
	buf_put(out, s, end);
	buf_puts(out, "…");
}

/* ---- tables -------------------------------------------------------- */

static void put_cell(struct buf *out, const struct buf *c)
{
	for (size_t i = 0; i < c->len; i++)
		buf_putc(out, c->data[i] == LAYOUT_GLUE ? ' ' : c->data[i]);
}

void table_lines(struct buf *out, const struct buf *cells, size_t rows,
    size_t cols, const char *align, bool header)
{
	size_t *width = xcalloc(cols ? cols : 1, sizeof *width);

	for (size_t i = 0; i < rows * cols; i++) {
		size_t w = text_columns(cells[i].data ? cells[i].data : "",
		    cells[i].len);
		if (w > width[i % cols])
			width[i % cols] = w;
	}
	for (size_t row = 0; row < rows; row++) {
		for (int rule = 0; rule <= (row == 0 && header); rule++) {
			size_t start = out->len;
			for (size_t col = 0; col < cols; col++) {
				const struct buf *c = &cells[row * cols + col];
				size_t w = rule ? 0 : text_columns(c->data ? c->data :
				    "", c->len);
				size_t pad = width[col] - w, left = 0;
				if (col)
					buf_puts(out, rule ? "-+-" : " | ");
				if (rule) {
					for (size_t k = 0; k < width[col]; k++)
						buf_putc(out, '-');
					continue;
				}
				if (align[col] == 'r')
					left = pad;
				else if (align[col] == 'c')
					left = pad / 2;
				for (size_t k = 0; k < left; k++)
					buf_putc(out, ' ');
				put_cell(out, c);
				for (size_t k = left; k < pad; k++)
					buf_putc(out, ' ');
			}
			while (out->len > start && out->data[out->len - 1] == ' ')
				out->len--;
			buf_putc(out, '\n');
		}
	}
	free(width);
}
