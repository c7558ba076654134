package blob

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"path"
	"slices"
	"strings"
)

// sniffLen is how many leading bytes of a file decide its media type.
const sniffLen = 512

// The media types the store accepts, as Sniff reports them.
const (
	TypeJPEG      = "image/jpeg"
	TypePNG       = "image/png"
	TypeGIF       = "image/gif"
	TypeWebP      = "image/webp"
	TypeTIFF      = "image/tiff"
	TypeHEIC      = "image/heic"
	TypeHEIF      = "image/heif"
	TypeAVIF      = "image/avif"
	TypeMP4       = "video/mp4"
	TypeQuickTime = "video/quicktime"
	TypeWebM      = "video/webm"
	TypeMatroska  = "video/x-matroska"
	TypeOggVideo  = "video/ogg"
	TypePDF       = "application/pdf"
	TypeText      = "text/plain; charset=utf-8"
	TypeWAV       = "audio/wav"
	TypeMP3       = "audio/mpeg"
	TypeOggAudio  = "audio/ogg"
	TypeM4A       = "audio/mp4"
)

// extensions maps each accepted file name extension (lower case) to the
// media types its content may have.
var extensions = map[string][]string{
	".jpg":  {TypeJPEG},
	".jpeg": {TypeJPEG},
	".png":  {TypePNG},
	".gif":  {TypeGIF},
	".webp": {TypeWebP},
	".tif":  {TypeTIFF},
	".tiff": {TypeTIFF},
	".heic": {TypeHEIC, TypeHEIF},
	".heif": {TypeHEIC, TypeHEIF},
	".avif": {TypeAVIF},
	".mp4":  {TypeMP4, TypeQuickTime},
	".m4v":  {TypeMP4, TypeQuickTime},
	".mov":  {TypeQuickTime, TypeMP4},
	".webm": {TypeWebM},
	".mkv":  {TypeMatroska, TypeWebM},
	".ogv":  {TypeOggVideo},
	".pdf":  {TypePDF},
	".txt": {
		TypeText,
		"text/plain; charset=utf-16be",
		"text/plain; charset=utf-16le",
	},
	".wav":  {TypeWAV},
	".mp3":  {TypeMP3},
	".ogg":  {TypeOggAudio, TypeOggVideo},
	".oga":  {TypeOggAudio},
	".opus": {TypeOggAudio},
	".m4a":  {TypeM4A},
}

// Extensions returns the file name extensions that Put accepts, sorted, each
// with its leading dot: what an upload form's accept attribute may list.
func Extensions() []string {
	exts := make([]string, 0, len(extensions))
	for ext := range extensions {
		exts = append(exts, ext)
	}
	slices.Sort(exts)
	return exts
}

// checkType returns nil if a file named name may hold content of mediaType,
// an error wrapping ErrUnsupported if the store takes no file with name's
// extension, and one wrapping ErrTypeMismatch if the content is not what the
// extension says.
func checkType(name, mediaType string) error {
	want, err := expectedTypes(name)
	if err != nil {
		return err
	}
	if !slices.Contains(want, mediaType) {
		return &typeError{name: name, want: want[0], got: mediaType}
	}
	return nil
}

func expectedTypes(name string) ([]string, error) {
	ext := strings.ToLower(path.Ext(name))
	want, ok := extensions[ext]
	if !ok {
		if ext == "" {
			return nil, &unsupportedError{name: name}
		}
		return nil, &unsupportedError{name: name, ext: ext}
	}
	return want, nil
}

type unsupportedError struct{ name, ext string }

func (e *unsupportedError) Error() string {
	if e.ext == "" {
		return "the store accepts only files whose name ends in one of " + strings.Join(Extensions(), " ") + "; " + quote(e.name) + " has no extension"
	}
	return "the store does not accept " + e.ext + " files; it accepts " + strings.Join(Extensions(), " ")
}

func (e *unsupportedError) Unwrap() error { return ErrUnsupported }

type typeError struct{ name, want, got string }

func (e *typeError) Error() string {
	return "the file " + quote(e.name) + " should be " + describe(e.want) + " but its content is " + describe(e.got)
}

func (e *typeError) Unwrap() error { return ErrTypeMismatch }

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		if c < ' ' || c == 0x7f || c == '"' || c == 0xFFFD || isBidiOverride(c) {
			b.WriteString("\uFFFD")
			continue
		}
		b.WriteRune(c)
	}
	b.WriteByte('"')
	return b.String()
}

// describe names a media type for a sentence.
func describe(mediaType string) string {
	switch mediaType {
	case TypeJPEG:
		return "a JPEG image"
	case TypePNG:
		return "a PNG image"
	case TypeGIF:
		return "a GIF image"
	case TypeWebP:
		return "a WebP image"
	case TypeTIFF:
		return "a TIFF image"
	case TypeHEIC, TypeHEIF:
		return "a HEIC/HEIF image"
	case TypeAVIF:
		return "an AVIF image"
	case TypeMP4:
		return "an MP4 video"
	case TypeQuickTime:
		return "a QuickTime video"
	case TypeWebM:
		return "a WebM video"
	case TypeMatroska:
		return "a Matroska video"
	case TypeOggVideo:
		return "an Ogg video"
	case TypePDF:
		return "a PDF document"
	case TypeWAV:
		return "a WAV recording"
	case TypeMP3:
		return "an MP3 recording"
	case TypeOggAudio:
		return "an Ogg recording"
	case TypeM4A:
		return "an M4A recording"
	}
	switch mt, _, _ := strings.Cut(mediaType, ";"); mt {
	case "text/plain":
		return "plain text"
	case "text/html":
		return "an HTML page"
	case "application/octet-stream":
		return "of no type the store knows"
	}
	return "of type " + mediaType
}

// Sniff returns the media type of a file from its first bytes (at most 512
// are read): net/http.DetectContentType, plus the formats it does not know
// (ISO base media files such as MP4, QuickTime, HEIC and AVIF told apart by
// their brands; WebM and Matroska by their EBML document type; TIFF; MP3
// without an ID3 tag; Ogg audio and video by their first codec header) and
// a few canonical names ("audio/wav" for "audio/wave"). Sniff never fails: it
// returns "application/octet-stream" for what it cannot name.
func Sniff(head []byte) string {
	if len(head) > sniffLen {
		head = head[:sniffLen]
	}
	switch {
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return sniffFtyp(head)
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return sniffEBML(head)
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return TypeTIFF
	case bytes.HasPrefix(head, []byte("OggS")):
		return sniffOgg(head)
	case isMP3Frame(head):
		return TypeMP3
	}
	switch t := http.DetectContentType(head); t {
	case "audio/wave":
		return TypeWAV
	default:
		return t
	}
}

// sniffFtyp names an ISO base media file (ISO/IEC 14496-12) by its ftyp box:
// the major brand if it is one of ours, or else the first compatible brand
// that is.
func sniffFtyp(head []byte) string {
	size := int(binary.BigEndian.Uint32(head))
	if size < 16 || size > len(head) {
		size = len(head)
	}
	if t := brandType(string(head[8:12])); t != "" {
		return t
	}
	best := "application/octet-stream"
	for i := 16; i+4 <= size; i += 4 {
		if t := brandType(string(head[i : i+4])); brandRank(t) > brandRank(best) {
			best = t
		}
	}
	return best
}

// brandRank orders the types of compatible brands, most specific first: a
// HEIC lists "mif1" (any HEIF) and often "iso8" or "MiHB" beside "heic".
func brandRank(mediaType string) int {
	switch mediaType {
	case TypeHEIC, TypeAVIF:
		return 4
	case TypeHEIF:
		return 3
	case TypeQuickTime, TypeM4A:
		return 2
	case TypeMP4:
		return 1
	}
	return 0
}

func brandType(brand string) string {
	switch brand {
	case "heic", "heix", "heim", "heis", "hevc", "hevx":
		return TypeHEIC
	case "mif1", "msf1":
		return TypeHEIF
	case "avif", "avis":
		return TypeAVIF
	case "qt  ":
		return TypeQuickTime
	case "M4A ", "M4B ":
		return TypeM4A
	case "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso8", "iso9",
		"mp41", "mp42", "mp71", "avc1", "dash", "M4V ", "M4VH", "M4VP", "MSNV", "XAVC", "NDAS", "F4V ":
		return TypeMP4
	}
	return ""
}

// sniffEBML tells WebM from Matroska by the DocType element of the EBML
// header.
func sniffEBML(head []byte) string {
	i := bytes.Index(head, []byte{0x42, 0x82})
	if i < 0 || i+3 > len(head) {
		return "application/octet-stream"
	}
	// The size is an EBML variable-length integer; DocType values are short,
	// so one or two bytes of size suffice.
	n, w := 0, 0
	switch s := head[i+2]; {
	case s&0x80 != 0:
		n, w = int(s&0x7f), 1
	case s&0x40 != 0 && i+4 <= len(head):
		n, w = int(s&0x3f)<<8|int(head[i+3]), 2
	default:
		return "application/octet-stream"
	}
	start := i + 2 + w
	if start+n > len(head) {
		return "application/octet-stream"
	}
	switch string(bytes.TrimRight(head[start:start+n], "\x00")) {
	case "webm":
		return TypeWebM
	case "matroska":
		return TypeMatroska
	}
	return "application/octet-stream"
}

// sniffOgg names an Ogg file by the codec of its first packet.
func sniffOgg(head []byte) string {
	const generic = "application/ogg"
	if len(head) < 27 {
		return generic
	}
	start := 27 + int(head[26])
	if start > len(head) {
		return generic
	}
	p := head[start:]
	switch {
	case bytes.HasPrefix(p, []byte("OpusHead")),
		bytes.HasPrefix(p, []byte("\x01vorbis")),
		bytes.HasPrefix(p, []byte("\x7fFLAC")),
		bytes.HasPrefix(p, []byte("Speex   ")):
		return TypeOggAudio
	case bytes.HasPrefix(p, []byte("\x80theora")),
		bytes.HasPrefix(p, []byte("\x01video\x00\x00\x00")):
		return TypeOggVideo
	}
	return generic
}

// isMP3Frame reports whether head starts with an MPEG audio layer III frame
// header (a file without an ID3 tag; DetectContentType knows only those
// with one).
func isMP3Frame(head []byte) bool {
	if len(head) < 4 || head[0] != 0xFF || head[1]&0xE0 != 0xE0 {
		return false
	}
	version := (head[1] >> 3) & 3
	layer := (head[1] >> 1) & 3
	bitrate := head[2] >> 4
	rate := (head[2] >> 2) & 3
	return version != 1 && layer == 1 && bitrate != 0 && bitrate != 15 && rate != 3
}
