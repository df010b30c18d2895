// Package fakenews makes deterministic fake news articles for tests and
// benchmarks: varied titles, dates over three years, a dozen topics, and
// libraries with the shapes of real syndication (a wire story carried by
// hundreds of outlets, a long tail of copy counts).
//
// It imports nothing of newsbrief, so that every package's tests can use
// it, the library's own included; briefs/briefstest turns its articles
// into briefs.Article for the tests of other packages.
package fakenews

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"strings"
	"time"
)

// genTopic is the vocabulary of one subject area of generated news.
type genTopic struct {
	name    string
	nouns   []string // subjects of headlines and sentences
	things  []string // objects: plans, bills, figures…
	actors  []string // organisations
	verbs   []string // headline verbs, present tense
	phrases []string // closing phrases of body sentences
}

var genTopics = []genTopic{
	{"politics", []string{"parliament", "senate", "coalition", "opposition", "ministers", "voters", "election", "referendum"},
		[]string{"budget", "reform bill", "tax plan", "constitution", "ballot", "manifesto", "inquiry"},
		[]string{"the Labour Party", "the Green Party", "the electoral commission", "the cabinet", "the supreme court"},
		[]string{"rejects", "approves", "debates", "delays", "backs", "challenges"},
		[]string{"ahead of the vote", "after weeks of negotiation", "despite protests outside", "in a late-night session"}},
	{"economy", []string{"inflation", "central bank", "markets", "unemployment", "exports", "wages", "investors", "households"},
		[]string{"interest rates", "growth forecast", "trade deficit", "bond yields", "currency", "recession fears"},
		[]string{"the central bank", "the treasury", "the statistics office", "the IMF", "the finance ministry"},
		[]string{"raises", "cuts", "revises", "weighs", "signals", "holds"},
		[]string{"as prices keep rising", "amid slowing demand", "for the third quarter running", "according to new figures"}},
	{"climate", []string{"wildfires", "floods", "drought", "heatwave", "glaciers", "emissions", "sea levels", "storms"},
		[]string{"carbon target", "climate pledge", "adaptation fund", "emissions cap", "renewables plan", "flood defences"},
		[]string{"the environment agency", "the weather service", "climate scientists", "the UN climate panel"},
		[]string{"threatens", "reshapes", "worsens", "accelerates", "tests", "spurs"},
		[]string{"as temperatures hit records", "after the wettest winter on record", "with thousands evacuated", "across the region"}},
	{"technology", []string{"chipmakers", "startups", "smartphones", "satellites", "robots", "algorithms", "hackers", "regulators"},
		[]string{"artificial intelligence", "data centre", "privacy rules", "software update", "quantum computer", "broadband network"},
		[]string{"the competition authority", "a Silicon Valley giant", "the data protection office", "an open-source foundation"},
		[]string{"unveils", "launches", "bans", "acquires", "tests", "opens"},
		[]string{"amid privacy concerns", "in a bid to catch up with rivals", "after a major outage", "to mixed reviews"}},
	{"health", []string{"hospitals", "nurses", "vaccines", "patients", "doctors", "clinics", "researchers", "pharmacies"},
		[]string{"vaccine rollout", "waiting lists", "cancer treatment", "mental health service", "drug trial", "flu season"},
		[]string{"the health ministry", "the World Health Organization", "the medical association", "a university hospital"},
		[]string{"expands", "warns about", "reports", "approves", "funds", "reviews"},
		[]string{"as winter pressures mount", "after a successful trial", "in rural areas", "for the first time in a decade"}},
	{"sports", []string{"champions", "striker", "goalkeeper", "coach", "marathon", "cyclists", "fans", "olympians"},
		[]string{"title race", "world cup", "transfer record", "final", "league season", "grand slam"},
		[]string{"the football federation", "the Olympic committee", "the national team", "the league"},
		[]string{"wins", "loses", "clinches", "dominates", "misses", "secures"},
		[]string{"in front of a sold-out stadium", "after extra time", "with a late goal", "for the first time since 1998"}},
	{"science", []string{"astronomers", "physicists", "biologists", "telescope", "fossils", "genome", "comet", "rover"},
		[]string{"exoplanet", "dark matter", "gene therapy", "particle collider", "moon mission", "deep-sea survey"},
		[]string{"the space agency", "the national academy", "an international team", "the observatory"},
		[]string{"discovers", "maps", "detects", "sequences", "confirms", "launches"},
		[]string{"in a study published this week", "surprising many experts", "using new instruments", "after years of observation"}},
	{"culture", []string{"museum", "orchestra", "novelist", "filmmakers", "festival", "gallery", "theatre", "poets"},
		[]string{"exhibition", "film premiere", "book prize", "opera season", "heritage site", "music award"},
		[]string{"the arts council", "the national gallery", "the film academy", "a city theatre"},
		[]string{"celebrates", "opens", "honours", "restores", "cancels", "announces"},
		[]string{"to critical acclaim", "after a long restoration", "drawing record crowds", "in the old town"}},
	{"business", []string{"retailers", "airlines", "carmakers", "banks", "shareholders", "factories", "shipping firms", "supermarkets"},
		[]string{"quarterly profits", "merger", "job cuts", "supply chain", "share price", "takeover bid"},
		[]string{"the stock exchange", "a multinational group", "the chamber of commerce", "the workers' union"},
		[]string{"reports", "announces", "abandons", "completes", "expands", "restructures"},
		[]string{"beating analyst expectations", "as costs climb", "in a surprise move", "after a difficult year"}},
	{"education", []string{"teachers", "students", "universities", "schools", "graduates", "parents", "pupils", "lecturers"},
		[]string{"tuition fees", "exam results", "curriculum", "scholarship scheme", "school meals", "teacher shortage"},
		[]string{"the education ministry", "the teachers' union", "the university council", "the school board"},
		[]string{"protests", "welcomes", "overhauls", "extends", "scraps", "publishes"},
		[]string{"before the new term", "across the country", "despite budget pressures", "for disadvantaged pupils"}},
	{"transport", []string{"commuters", "railways", "motorists", "cyclists", "ports", "airports", "bus drivers", "ferries"},
		[]string{"rail strike", "fuel prices", "high-speed line", "road tolls", "electric buses", "bridge repairs"},
		[]string{"the transport authority", "the rail operator", "the aviation regulator", "the city council"},
		[]string{"disrupts", "delays", "reopens", "upgrades", "suspends", "funds"},
		[]string{"during the morning rush", "over the holiday weekend", "after a signal failure", "along the coast"}},
	{"energy", []string{"wind farms", "solar panels", "power plants", "utilities", "oil producers", "gas prices", "batteries", "grid operators"},
		[]string{"energy bills", "nuclear plant", "offshore wind", "hydrogen project", "power grid", "pipeline"},
		[]string{"the energy regulator", "the oil cartel", "a state utility", "the grid operator"},
		[]string{"boosts", "halts", "connects", "caps", "builds", "doubles"},
		[]string{"as demand peaks", "to cut emissions", "before the winter", "in the northern provinces"}},
}

var (
	genSyllables = []string{"ka", "lo", "mer", "vin", "tar", "es", "dor", "ani", "bel", "cro", "fen", "gal", "hul", "is", "jun",
		"ket", "lin", "mor", "nes", "ov", "pra", "quin", "ros", "sil", "tov", "ur", "val", "wes", "yar", "zel"}
	genFirstNames = []string{"Anna", "Ben", "Clara", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "James", "Kofi",
		"Lena", "Marco", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Samuel", "Tara", "Ulrich", "Vera", "Wei", "Yusuf", "Zoe"}
	genAdjectives = []string{"new", "major", "controversial", "long-awaited", "ambitious", "surprise", "record", "sweeping",
		"modest", "emergency", "historic", "fragile", "bold", "temporary", "regional", "national"}
	genSentences = []string{
		"{Actor} said on {Day} that the {thing} would be reviewed {phrase}.",
		"The {adj} {thing} comes as {noun} in {Place} face growing pressure.",
		"\"We have never seen anything like this,\" said {Person}, a spokesperson for {actor}.",
		"Officials in {Place} estimate that about {num} people are affected by the {thing}.",
		"Critics argue that the {thing} does little for {noun}, while supporters call it a {adj} step.",
		"{Person} told reporters the decision was {adj} but necessary {phrase}.",
		"The figures, released by {actor}, show a change of {pct} percent compared with last year.",
		"In {Place}, {noun} gathered to follow the debate about the {thing}.",
		"Analysts expect the {thing} to dominate discussions {phrase}.",
		"{Actor} has not yet responded to requests for comment about the {adj} {thing}.",
		"According to {Person}, the {noun} of {Place} were consulted only briefly.",
		"The {thing} is expected to cost around {num} million, {actor} said.",
		"Meanwhile, {noun} in neighbouring {Place} are watching closely.",
		"It is the {ordinal} time this year that {actor} has intervened.",
		"Local media in {Place} described the mood as tense but hopeful.",
	}
	genTitles = []string{
		"{Place} {verb} {thing} {phrase}",
		"{Noun} {verb} {adj} {thing}",
		"{Actor} {verb} {thing} as {noun} wait",
		"Why the {thing} matters for {noun} in {Place}",
		"{Person} on the {adj} {thing}",
		"{Place} {noun} brace for {adj} {thing}",
		"What the {thing} means for {Place}",
		"{Noun} in {Place} {verb} {thing}",
	}
	genDays     = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	genOrdinals = []string{"second", "third", "fourth", "fifth"}
)

// An Article is a generated article: what a source would have read from
// a file or a feed item.
type Article struct {
	Title      string
	Date       time.Time
	Paragraphs []string
	// File is a file name, unique among the articles of one call, which
	// sources key the article by.
	File string
	// Origin is the outlet carrying a copy (see Carried), "" for Articles.
	Origin string
	// Words counts the paragraphs' words.
	Words int
}

// Articles returns n articles with 4-8 paragraphs each. The same n and
// seed always give the same articles.
func Articles(n int, seed int64) []Article {
	next := articleMaker(seed)
	arts := make([]Article, 0, max(n, 0))
	for range n {
		arts = append(arts, next())
	}
	return arts
}

// articleMaker returns a function that makes Articles' articles
// one at a time, in order.
func articleMaker(seed int64) func() Article {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6e657773627269ef))
	places := make([]string, 200)
	for i := range places {
		places[i] = genName(rng)
	}
	surnames := make([]string, 300)
	for i := range surnames {
		surnames[i] = genName(rng)
	}
	base := time.Date(2021, time.January, 1, 0, 0, 0, 0, time.UTC)
	i := 0
	return func() Article {
		t := &genTopics[rng.IntN(len(genTopics))]
		fill := func(tmpl string) string {
			return genFill(rng, tmpl, t, places, surnames)
		}
		title := fill(genTitles[rng.IntN(len(genTitles))])
		paras := make([]string, 4+rng.IntN(5))
		words := 0
		for p := range paras {
			sents := make([]string, 2+rng.IntN(4))
			for s := range sents {
				sents[s] = fill(genSentences[rng.IntN(len(genSentences))])
			}
			paras[p] = strings.Join(sents, " ")
			words += len(strings.Fields(paras[p]))
		}
		name := fmt.Sprintf("%05d-%s.txt", i, slug(title))
		i++
		return Article{
			Title:      title,
			Date:       base.AddDate(0, 0, rng.IntN(3*365)),
			Paragraphs: paras,
			File:       name,
			Words:      words,
		}
	}
}

func genName(rng *rand.Rand) string {
	var b strings.Builder
	for range 2 + rng.IntN(2) {
		b.WriteString(genSyllables[rng.IntN(len(genSyllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

func genFill(rng *rand.Rand, tmpl string, t *genTopic, places, surnames []string) string {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	upper := func(s string) string {
		if strings.HasPrefix(s, "the ") || strings.HasPrefix(s, "a ") || strings.HasPrefix(s, "an ") {
			return strings.ToUpper(s[:1]) + s[1:]
		}
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.IndexByte(tmpl[i:], '}') + i
		b.WriteString(tmpl[:i])
		var v string
		switch key := tmpl[i+1 : j]; key {
		case "Place", "place":
			v = pick(places)
		case "Person":
			v = pick(genFirstNames) + " " + pick(surnames)
		case "noun":
			v = pick(t.nouns)
		case "Noun":
			v = pick(t.nouns)
			v = strings.ToUpper(v[:1]) + v[1:]
		case "thing":
			v = pick(t.things)
		case "actor":
			v = pick(t.actors)
		case "Actor":
			v = upper(pick(t.actors))
		case "verb":
			v = pick(t.verbs)
		case "phrase":
			v = pick(t.phrases)
		case "adj":
			v = pick(genAdjectives)
		case "Day":
			v = pick(genDays)
		case "ordinal":
			v = pick(genOrdinals)
		case "num":
			v = fmt.Sprint(10 + rng.IntN(990))
		case "pct":
			v = fmt.Sprintf("%d.%d", rng.IntN(20), rng.IntN(10))
		default:
			v = key
		}
		b.WriteString(v)
		tmpl = tmpl[j+1:]
	}
	return b.String()
}

// A Carriage says how many outlets carry story i of a generated library:
// the shapes of syndication that benchmarks and tests build (see
// Carried).
type Carriage func(story int, rng *rand.Rand) int

// CarriedBy is the shape where every story is carried by k outlets.
func CarriedBy(k int) Carriage { return func(int, *rand.Rand) int { return k } }

// CarriedOnce is CarriedBy(1) but for the first story, carried by k
// outlets: one wire story everywhere among stories told once.
func CarriedOnce(k int) Carriage {
	return func(i int, _ *rand.Rand) int {
		if i == 0 {
			return k
		}
		return 1
	}
}

// CarriedLongTail is the shape of a real library of many feeds: most
// stories carried once, some by 2 to 5 outlets, a few by dozens and one in
// a thousand by hundreds.
func CarriedLongTail(_ int, rng *rand.Rand) int {
	switch r := rng.Float64(); {
	case r < 0.75:
		return 1
	case r < 0.97:
		return 2 + rng.IntN(4)
	case r < 0.999:
		return 6 + rng.IntN(45)
	default:
		return 100 + rng.IntN(400)
	}
}

// Carried returns n articles of generated stories (see
// Articles), each carried by as many outlets as shape says, as
// wire copies are: copy j of a story comes from outlet j (Origin
// "outlet-0007"), with the outlet's byline at its top and its name in its
// title, the same body, dated up to six hours after the first copy. The
// last story may be carried fewer times, to make n. Each copy has a File
// of its own. The same
// arguments always give the same articles.
func Carried(n int, shape Carriage, seed int64) []Article {
	arts := make([]Article, 0, max(n, 0))
	for a := range CarriedSeq(n, shape, seed) {
		arts = append(arts, a)
	}
	return arts
}

// CarriedSeq yields Carried's articles one at a time, for
// libraries too large to generate at once.
func CarriedSeq(n int, shape Carriage, seed int64) iter.Seq[Article] {
	return func(yield func(Article) bool) {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x636172726965640a))
		story := articleMaker(seed)
		made := 0
		for i := 0; made < n; i++ {
			a := story()
			for j := range min(max(shape(i, rng), 1), n-made) {
				c := a
				outlet := fmt.Sprintf("outlet-%04d", j)
				if j > 0 {
					c.Title = fmt.Sprintf("%s | %s", a.Title, genOutletName(j))
					c.Date = a.Date.Add(time.Duration(rng.IntN(6*60)) * time.Minute)
				}
				c.Origin = outlet
				c.File = fmt.Sprintf("%06d-%s.txt", made, slug(c.Title))
				c.Paragraphs = append([]string{"By " + genOutletName(j) + " staff"}, a.Paragraphs...)
				c.Words = a.Words + 6
				made++
				if !yield(c) {
					return
				}
			}
		}
	}
}

// genOutletName names outlet j as its copies show it.
func genOutletName(j int) string {
	return fmt.Sprintf("The %s Courier %d", strings.ToUpper(genSyllables[j%len(genSyllables)][:1])+genSyllables[j%len(genSyllables)][1:], j)
}

// slug makes a file name's words of a title: its letters and digits in
// lower case, other runs as one hyphen, at most 40 bytes.
func slug(title string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(title) {
		if b.Len() >= 40 {
			break
		}
		if r < 128 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			if gap && b.Len() > 0 {
				b.WriteByte('-')
			}
			gap = false
			b.WriteRune(r)
		} else {
			gap = true
		}
	}
	return b.String()
}
