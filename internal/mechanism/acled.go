package mechanism

// EventType is one of ACLED's six event types, with its sub-event types.
// IDs are sulh's identifiers; Name is the label in ACLED's codebook.
type EventType struct {
	ID       string
	Name     string
	SubTypes []SubEventType
}

// SubEventType is one of ACLED's 25 sub-event types.
type SubEventType struct {
	ID   string
	Name string
}

// EventTypes are ACLED's event types and sub-event types, in the codebook's
// order.
var EventTypes = []EventType{
	{"battles", "Battles", []SubEventType{
		{"armed_clash", "Armed clash"},
		{"government_regains_territory", "Government regains territory"},
		{"non_state_actor_overtakes_territory", "Non-state actor overtakes territory"},
	}},
	{"explosions_remote_violence", "Explosions/Remote violence", []SubEventType{
		{"chemical_weapon", "Chemical weapon"},
		{"air_drone_strike", "Air/drone strike"},
		{"suicide_bomb", "Suicide bomb"},
		{"shelling_artillery_missile_attack", "Shelling/artillery/missile attack"},
		{"remote_explosive_landmine_ied", "Remote explosive/landmine/IED"},
		{"grenade", "Grenade"},
	}},
	{"violence_against_civilians", "Violence against civilians", []SubEventType{
		{"sexual_violence", "Sexual violence"},
		{"attack", "Attack"},
		{"abduction_forced_disappearance", "Abduction/forced disappearance"},
	}},
	{"protests", "Protests", []SubEventType{
		{"peaceful_protest", "Peaceful protest"},
		{"protest_with_intervention", "Protest with intervention"},
		{"excessive_force_against_protesters", "Excessive force against protesters"},
	}},
	{"riots", "Riots", []SubEventType{
		{"violent_demonstration", "Violent demonstration"},
		{"mob_violence", "Mob violence"},
	}},
	{"strategic_developments", "Strategic developments", []SubEventType{
		{"agreement", "Agreement"},
		{"arrests", "Arrests"},
		{"change_to_group_activity", "Change to group/activity"},
		{"disrupted_weapons_use", "Disrupted weapons use"},
		{"headquarters_or_base_established", "Headquarters or base established"},
		{"looting_property_destruction", "Looting/property destruction"},
		{"non_violent_transfer_of_territory", "Non-violent transfer of territory"},
		{"other", "Other"},
	}},
}

// eventType returns the event type with id t and whether sub is one of its
// sub-event types.
func eventType(t, sub string) (found, subFound bool) {
	for _, et := range EventTypes {
		if et.ID != t {
			continue
		}
		for _, s := range et.SubTypes {
			if s.ID == sub {
				return true, true
			}
		}
		return true, false
	}
	return false, false
}
