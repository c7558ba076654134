package report

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// acledSample is an ACLED file: a row as the export tool gives it, one in
// the API's date form with a byte order mark's worth of trouble in its
// text, and rows that are wrong in one way each.
const acledSample = "\ufeffevent_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp\n" +
	"PAK1001,12 October 2025,2025,1,Political violence,Battles,Armed clash,Military Forces of Pakistan (2018-),,1,Military Forces of Afghanistan (2021-),,1,11,,586,South Asia,Pakistan,Khyber Pakhtunkhwa,Khyber,,Torkham,34.1008,71.0918,1,Dawn,National,\"On 12 October 2025, forces clashed at Torkham.\nBoth sides reported casualties.\",23,,1760400000\n" +
	"AFG2002,2025-10-15,2025,2,Political violence,Explosions/Remote violence,Air/drone strike,Military Forces of Pakistan (2018-),,1,Civilians (Afghanistan),,7,17,Civilian targeting,4,South Asia,Afghanistan,Kandahar,Spin Boldak,,Spin Boldak,31.005,66.398,2,Tolo News,National,\"=HYPERLINK(\"\"http://evil.example\"\") strike\u202e on a market\",12,,1760500000\n" +
	"PAK1003,2025-13-45,2025,1,Political violence,Battles,Armed clash,,,,,,,,,586,South Asia,Pakistan,,,,Chaman,30.92,66.45,1,Dawn,National,Bad date.,0,,\n" +
	"PAK1004,2025-10-20,2025,1,Political violence,Battles,Air/drone strike,,,,,,,,,586,South Asia,Pakistan,,,,Chaman,30.92,66.45,1,Dawn,National,Wrong sub-event type.,0,,\n" +
	"PAK1005,2025-10-20,2025,1,Political violence,Battles,Armed clash,,,,,,,,,586,South Asia,Pakistan,,,,Chaman,95,66.45,1,Dawn,National,Latitude out of range.,0,,\n" +
	"PAK1006,2025-10-20,2025\n"

func TestACLEDImportRows(t *testing.T) {
	now := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	r, err := NewACLEDReader(strings.NewReader(acledSample))
	if err != nil {
		t.Fatal(err)
	}
	var reports []map[string]any
	refused := map[int]string{}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			var rep map[string]any
			if rep, err = ACLEDReport(row, now); err == nil {
				reports = append(reports, rep)
				continue
			}
		}
		refused[row.Line] = err.Error()
	}
	if len(reports) != 2 {
		t.Fatalf("%d reports: %v; refused %v", len(reports), reports, refused)
	}
	a, b := reports[0], reports[1]
	if a["channel"] != mechanism.ChannelOpenSource || a["source"] != "ACLED PAK1001: Dawn" || a["event_type"] != "battles" || a["sub_event_type"] != "armed_clash" ||
		a["event"].(map[string]any)["time"] != "2025-10-12T00:00:00Z" || a["event"].(map[string]any)["precision"] != "day" ||
		a["summary"] != "On 12 October 2025, forces clashed at Torkham. Both sides reported casualties." ||
		!strings.Contains(a["text"].(string), "fatalities reported: 23 (ACLED attributes them to no side)") {
		t.Errorf("the first row: %v", a)
	}
	place := a["place"].(map[string]any)
	if place["name"] != "Torkham" || place["lat"] != 34.1008 || place["geo_precision"] != 1 ||
		place["admin"].([]any)[0].(map[string]any)["admin1"] != "Khyber Pakhtunkhwa" || place["admin"].([]any)[0].(map[string]any)["country"] != "PK" {
		t.Errorf("the first row's place: %v", place)
	}
	if b["event"].(map[string]any)["precision"] != "week" || b["sub_event_type"] != "air_drone_strike" || strings.ContainsRune(b["summary"].(string), '\u202e') {
		t.Errorf("the second row: %v", b)
	}
	want := map[int]string{5: "event_date", 6: "sub_event_type", 7: "latitude", 8: "fields"}
	for line, w := range want {
		if !strings.Contains(refused[line], w) {
			t.Errorf("line %d: refused %q; want it to name %s", line, refused[line], w)
		}
	}
	if len(refused) != len(want) {
		t.Errorf("refused %v", refused)
	}
	if _, err := NewACLEDReader(strings.NewReader("a,b,c\n1,2,3\n")); err == nil || !strings.Contains(err.Error(), "event_id_cnty") {
		t.Errorf("a file that is not ACLED's: %v", err)
	}
	if _, err := NewACLEDReader(strings.NewReader("")); err == nil {
		t.Errorf("an empty file is taken")
	}
}

// FuzzACLEDImport reads any file as an ACLED export: it never panics, and
// every report it makes has the fields a report needs, within their
// limits, in valid UTF-8 without control characters in short fields.
func FuzzACLEDImport(f *testing.F) {
	f.Add([]byte(acledSample))
	f.Add([]byte(strings.Join(ACLEDColumns, ",") + "\n"))
	f.Add([]byte("event_id_cnty,event_date,event_type,sub_event_type,location\nX1,2025-01-02,Battles,Armed clash,\"Here\"\"\"\n"))
	f.Add([]byte("event_id_cnty,event_date,event_type,sub_event_type,location,latitude,longitude\nX1,02-01-2025,Riots,Mob violence,A,NaN,1\n"))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewACLEDReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				continue
			}
			rep, err := ACLEDReport(row, now)
			if err != nil {
				continue
			}
			for _, k := range []string{"source", "summary", "text"} {
				s, _ := rep[k].(string)
				if s == "" || !utf8.ValidString(s) {
					t.Fatalf("%s: %q", k, s)
				}
			}
			if n := utf8.RuneCountInString(rep["summary"].(string)); n > 500 {
				t.Fatalf("summary of %d characters", n)
			}
			place := rep["place"].(map[string]any)
			name := place["name"].(string)
			if name == "" || utf8.RuneCountInString(name) > 200 || strings.ContainsAny(name, "\n\r\t\x00") {
				t.Fatalf("place name %q", name)
			}
			if lat, ok := place["lat"].(float64); ok && (lat != lat || lat < -90 || lat > 90) {
				t.Fatalf("lat %v", lat)
			}
		}
	})
}
