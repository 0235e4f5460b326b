package console

// numbersAll is the subject picker's value for the All subjects view of
// /console/numbers: every subject's numbers of the mode at once.
const numbersAll = "all"

// rowSubjectName names a number's subject in the All subjects view, and
// says whether the subject is among the mode's subjects (a deleted
// subject's released numbers stay listed, and its page is gone).
func (d *numbersDir) rowSubjectName(id string) (string, bool) {
	subjects, _ := d.allSubjects()
	for _, subj := range subjects {
		if subj.ID == id {
			return numbersSubjectName(subj), true
		}
	}
	return "subject " + short(id) + " (deleted)", false
}
